"""Render the view model through the jinja2 templates; templates only print what it decided."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import marshal
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic_core

from specfirst.generator.source import FILTERS
from specfirst.generator.viewmodel import ApiView

if TYPE_CHECKING:
    import jinja2
    import jinja2.bccache


def _docstring(value: Any) -> str:
    """Text safe between triple quotes: backslashes doubled; quotes escaped where they would
    close the docstring (a run of three or more, or a run at the very end)."""
    text = " ".join(str(value).split()).replace("\\", "\\\\")

    def escape(run: re.Match[str]) -> str:
        quotes = run.group(0)
        if len(quotes) >= 3 or run.end() == len(text):
            return '\\"' * len(quotes)
        return quotes

    return _QUOTE_RUN.sub(escape, text)


_QUOTE_RUN = re.compile('"+')

_ENVIRONMENT: list[jinja2.Environment] = []
_TEMPLATE_FOLDER: list[Path | None] = [None]


def environment() -> jinja2.Environment:
    """The templates' environment, made on first use: a run whose files are all the last
    run's (`view_cache.RenderedStore`) renders nothing and does not import jinja2 at all."""
    if not _ENVIRONMENT:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.PackageLoader("specfirst.generator", "templates"),
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        env.filters["pyrepr"] = repr
        env.filters["pytuple"] = lambda items: repr(tuple(items))
        env.filters["oneline"] = _docstring
        env.filters["docstring"] = _docstring
        env.filters.update(FILTERS)
        _ENVIRONMENT.append(env)
    env = _ENVIRONMENT[0]
    folder = _TEMPLATE_FOLDER[0]
    env.bytecode_cache = None if folder is None else template_cache(folder)
    return env


TEMPLATE_CACHE_SUBDIR = "template-cache"
TEMPLATE_CACHE_FILES = 64  # at most this many compiled templates, the oldest written first out


def template_cache(folder: Path) -> jinja2.BytecodeCache:
    """The compiled templates kept in `folder` (see `_template_cache_type`)."""
    return _template_cache_type()(folder)


@functools.cache
def _template_cache_type() -> Callable[[Path], jinja2.BytecodeCache]:
    import jinja2
    import jinja2.bccache

    class TemplateCache(jinja2.BytecodeCache):
        """Compiled templates, one file each, under the state folder (`cache_templates`).

        A file holds this Python's bytecode magic, the template source's checksum and a SHA-256 of
        the code that follows; anything that does not match is ignored (the template is compiled
        again), so a damaged or stale file cannot change what is rendered. Written atomically."""

        def __init__(self, folder: Path) -> None:
            self.folder = folder

        def _header(self, bucket: jinja2.bccache.Bucket, code: bytes) -> bytes:
            return b"specfirst-template 1 %s %s %s\n" % (
                importlib.util.MAGIC_NUMBER.hex().encode(),
                str(bucket.checksum).encode(),
                hashlib.sha256(code).hexdigest().encode(),
            )

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                data = (self.folder / bucket.key).read_bytes()
            except OSError:
                return
            header, _, code = data.partition(b"\n")
            if header + b"\n" != self._header(bucket, code):
                return
            try:
                bucket.code = marshal.loads(code)
            except (EOFError, ValueError, TypeError):
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            code = marshal.dumps(bucket.code)
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
                try:
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(self._header(bucket, code) + code)
                    os.replace(temporary, self.folder / bucket.key)
                except BaseException:
                    Path(temporary).unlink(missing_ok=True)
                    raise
                entries = sorted(
                    (p.stat().st_mtime, p) for p in self.folder.iterdir() if p.suffix != ".tmp"
                )
                for _, old in entries[:-TEMPLATE_CACHE_FILES]:
                    old.unlink(missing_ok=True)
            except OSError:
                pass  # only costs speed

    return TemplateCache


def cache_templates(folder: Path | None) -> None:
    """Keep the compiled templates in `folder` (compiling them costs more than rendering most
    of them); None: compile in memory only."""
    _TEMPLATE_FOLDER[0] = folder
    if _ENVIRONMENT:
        environment()


def make_header(contract_path: str, contract_sha256: str) -> str:
    return (
        f"# Generated by specfirst from {contract_path}"
        f" (sha256 {contract_sha256[:16]}). DO NOT EDIT.\n"
        "# Change the contract and run `specfirst generate` instead."
    )


def header(api: ApiView) -> str:
    return make_header(api.contract_path, api.contract_sha256)


# The specfirst-runtime API (`major.minor`) these templates are written against; generated
# packages check at import that the installed runtime serves it.
RUNTIME_API = "0.1"


def runtime_requirement() -> str:
    """The requirement a project that ships a generated package declares: the runtime releases
    that serve `RUNTIME_API` (below 1.0 only its own minor, from 1.0 its major)."""
    major, minor = (int(part) for part in RUNTIME_API.split("."))
    upper = f"{major}.{minor + 1}" if major == 0 else f"{major + 1}"
    return f"specfirst-runtime>={RUNTIME_API},<{upper}"


CONTRACT_FILE = "openapi.json"  # the served contract, package data beside the modules


def render_package(api: ApiView, contract: dict[str, Any]) -> dict[str, str | bytes]:
    """Relative path → file text (bytes for the contract), for everything except models.py."""
    context = {"api": api, "header": header(api), "runtime_api": RUNTIME_API}
    templates = ["__init__.py", "responses.py", "services.py", "app.py"]
    if api.secured:
        templates.append("security.py")
    env = environment()
    files: dict[str, str | bytes] = {
        name: env.get_template(name + ".j2").render(context) for name in templates
    }
    files["routers/__init__.py"] = env.get_template("routers_init.py.j2").render(context)
    router = env.get_template("router.py.j2")
    for tag in api.tags:
        files[f"routers/{tag.module_name}.py"] = router.render(context, tag=tag)
    files[CONTRACT_FILE] = render_contract(contract)
    return files


def render_contract(contract: dict[str, Any]) -> bytes:
    """The bundled contract as JSON (UTF-8): what `/openapi.json` serves (loaded with
    `importlib.resources`, so it travels with the package as package data). Bytes, as written:
    13 MB of GitHub's contract are not decoded and encoded again."""
    return pydantic_core.to_json(contract, indent=2) + b"\n"
