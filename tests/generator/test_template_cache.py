"""Compiled templates kept in the state folder render what freshly compiled ones render; a
damaged or stale file is compiled again, never used."""

from __future__ import annotations

from pathlib import Path

import jinja2

from specfirst.generator import render

CONTEXT = {
    "header": "# header",
    "runtime_api": "0.1",
}


def _env(folder: Path | None) -> jinja2.Environment:
    """A fresh environment like the generator's (no templates compiled in memory yet)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("specfirst.generator", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=None if folder is None else render.template_cache(folder),
    )
    env.filters.update(render.environment().filters)
    return env


def _render(folder: Path | None) -> str:
    api = type("Api", (), {"title": "T", "version": "1", "secured": True})()
    return _env(folder).get_template("__init__.py.j2").render(CONTEXT, api=api)


def test_compiled_templates_render_what_fresh_ones_do(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    expected = _render(None)
    assert _render(folder) == expected  # compiled and stored
    (entry,) = folder.iterdir()
    stored = entry.read_bytes()
    assert _render(folder) == expected  # loaded
    assert entry.read_bytes() == stored


def test_a_damaged_or_stale_compiled_template_is_compiled_again(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    expected = _render(None)
    _render(folder)
    (entry,) = folder.iterdir()
    good = entry.read_bytes()
    header, _, code = good.partition(b"\n")
    middle = len(code) // 2
    flipped = code[:middle] + bytes([code[middle] ^ 0x01]) + code[middle + 1 :]
    stale = header.replace(header.split(b" ")[3], b"0" * 40)
    for damaged in [
        b"",
        b"garbage",
        good[: len(good) // 2],
        header + b"\n" + flipped,
        stale + b"\n" + code,
    ]:
        entry.write_bytes(damaged)
        assert _render(folder) == expected
        assert entry.read_bytes() == good  # compiled again and stored again


def test_the_generator_keeps_its_templates_in_the_state_folder(tmp_path: Path) -> None:
    render.cache_templates(tmp_path)
    try:
        cache = render.environment().bytecode_cache
        assert cache is not None
        assert getattr(cache, "folder", None) == tmp_path
    finally:
        render.cache_templates(None)
    assert render.environment().bytecode_cache is None


def test_rendering_nothing_imports_no_jinja2() -> None:
    """The generator's path that renders nothing (the last run's files) does not pay for
    importing jinja2: nothing else in the render module needs it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from specfirst.generator import render, pipeline, view_cache, write, build\n"
        "print('jinja2' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_way_to_the_models_imports_no_pydantic_core() -> None:
    """The models stage takes `make_header` from the render module: importing it does not pay
    for pydantic-core (which only writing the served contract needs), so a schema edit reaches
    the models worker sooner."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from specfirst.generator import render, pipeline, build, schemas\n"
        "from specfirst.generator.pydantic_models import driver, document, parts, early\n"
        "print('pydantic_core' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
