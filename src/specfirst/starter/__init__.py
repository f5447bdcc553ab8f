"""What `specfirst init` writes: a new project that works with nothing copied from elsewhere.

The files are jinja2 templates under `templates/` (package data), rendered from `StarterNames`;
a path segment `__name__` or `__service__` becomes the API name or the service package, a
`.j2` suffix is dropped and `gitignore` becomes `.gitignore`. Existing files are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

import jinja2

from specfirst import __version__
from specfirst.errors import SpecfirstError
from specfirst.generator.render import runtime_requirement
from specfirst.names import pascal_case, snake_case

__all__ = ["FLOORS", "InitError", "StarterNames", "create_project", "names_for", "render_files"]

# Lowest versions the new project declares: the floors of specfirst's own dependencies
# (tests/adoption checks they agree with pyproject.toml), and the tools of its dev group.
FLOORS = {
    "fastapi": "0.165",
    "pydantic": "2.14",
    "uvicorn": "0.54",
    "mypy": "1.15",
    "pytest": "8.0",
    "httpx2": "2.16",
}

_NAME = re.compile(r"^[a-z][a-z0-9]*([_-][a-z0-9]+)*$")


class InitError(SpecfirstError):
    """The project cannot be created as asked (bad name, folder not empty)."""


@dataclass(frozen=True)
class StarterNames:
    name: str  # the API's name in [tool.specfirst] and specs/<name>/
    title: str  # "Bookmarks"
    distribution: str  # the project's [project].name
    api_package: str  # the generated package
    service_package: str  # the hand-written one
    token_variable: str  # the environment variable holding the starter's bearer token
    versions: dict[str, str]
    runtime_requirement: str  # what the generated package imports besides FastAPI and Pydantic


def names_for(name: str) -> StarterNames:
    if not _NAME.match(name):
        raise InitError(
            f"--name {name!r}: use lower-case letters, digits, '-' or '_', starting with a letter"
            " (e.g. bookmarks, order-service)"
        )
    snake = snake_case(name)
    return StarterNames(
        name=name,
        title=" ".join(word.capitalize() for word in snake.split("_")),
        distribution=name.replace("_", "-"),
        api_package=f"{snake}_api",
        service_package=f"{snake}_service",
        token_variable=f"{snake.upper()}_API_TOKEN",
        versions={**FLOORS, "specfirst": _release(__version__)},
        runtime_requirement=runtime_requirement(),
    )


def render_files(names: StarterNames) -> dict[PurePosixPath, str]:
    """Relative path → text of every file of the new project."""
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    context = {**vars(names), "class_prefix": pascal_case(names.name)}
    files: dict[PurePosixPath, str] = {}
    root = resources.files(__package__).joinpath("templates")
    for relative, template in _walk(root, PurePosixPath()):
        target = PurePosixPath(
            *(
                part.replace("__name__", names.name).replace("__service__", names.service_package)
                for part in relative.parts
            )
        )
        target = target.with_name(target.name.removesuffix(".j2"))
        if target.name == "gitignore":
            target = target.with_name(".gitignore")
        files[target] = env.from_string(template).render(context)
    return files


def create_project(
    folder: Path, names: StarterNames, *, force: bool = False
) -> tuple[list[Path], list[Path]]:
    """Write the project into `folder`: (files written, existing files left as they were)."""
    if folder.exists() and not folder.is_dir():
        raise InitError(f"{folder} exists and is not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise InitError(
            f"{folder} is not empty; use --force to add the starter files beside what is there"
            " (existing files are never overwritten)"
        )
    files = render_files(names)
    clashes = [folder / path for path in files if (folder / path).exists()]
    written: list[Path] = []
    for path, text in sorted(files.items()):
        target = folder / path
        if target in clashes:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:  # "x": never overwrite
            handle.write(text)
        written.append(target)
    return written, clashes


def _walk(node: Traversable, relative: PurePosixPath) -> Iterator[tuple[PurePosixPath, str]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.is_dir():
            yield from _walk(child, relative / child.name)
        elif child.name.endswith(".j2"):
            yield relative / child.name, child.read_text(encoding="utf-8")


def _release(version: str) -> str:
    match = re.match(r"\d+(\.\d+)*", version)
    return match.group(0) if match else version
