"""`specfirst scaffold`: typed stubs for the operations the hand-written services lack.

The stubs come from the generated Protocol module itself (`<package>/services.py`, read with
`ast`): each stub is the Protocol method's own source text (signature and docstring), so it has
the exact signature whatever the generator writes, and its body raises the generated package's
`ProblemException(501)`, which the runtime answers as an `application/problem+json` 501, as it
does for an operation with no service bound.

Hand-written classes are found by name (a class named like the Protocol, e.g. `ItemsService`) in
the modules of the API's `services` folder. Changes are add-only: methods are appended at the end
of their class, the imports they need are inserted after the module's last top-level import, and
a class for a new tag goes into a new module. Nothing else in a file changes.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specfirst.errors import SpecfirstError
from specfirst.names import snake_case

__all__ = [
    "Finding",
    "Plan",
    "ProtocolClass",
    "ProtocolMethod",
    "ScaffoldError",
    "apply",
    "check",
    "plan",
    "read_protocols",
]


LINE_LENGTH = 100  # the generated code's (and `specfirst init` projects') line length


class ScaffoldError(SpecfirstError):
    """The generated package or the services folder cannot be read."""


@dataclass(frozen=True)
class ProtocolMethod:
    name: str
    node: ast.AsyncFunctionDef | ast.FunctionDef
    source: str  # signature and docstring, indented for a class body at column 4
    names: frozenset[str]  # module-level names the signature uses (models, security, Literal…)


@dataclass(frozen=True)
class ProtocolClass:
    name: str
    methods: tuple[ProtocolMethod, ...]
    docstring: str


@dataclass(frozen=True)
class HandWrittenClass:
    path: Path
    node: ast.ClassDef
    aliases: dict[str, ast.expr]  # the module's type aliases (`Sort = Literal[...]`)


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


@dataclass
class FileChange:
    path: Path
    created: bool
    text: str  # the whole new text of the file
    added: list[str] = field(default_factory=list)  # "ItemsService.delete_item()"


@dataclass
class Plan:
    changes: list[FileChange]
    new_classes: list[str]  # classes created for new tags (to bind in create_app)


# -- the generated side ----------------------------------------------------------------------


def read_protocols(package_dir: Path) -> tuple[list[ProtocolClass], dict[str, str]]:
    """The Protocol classes of `services.py` and, for each module-level name it imports, the
    import statement a hand-written module needs for it (relative imports made absolute)."""
    path = package_dir / "services.py"
    try:
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise ScaffoldError(
            f"{path}: cannot read the generated service Protocols ({exc}); run `specfirst generate`"
        ) from None
    imports = _import_statements(tree, package_dir.name)
    lines = source.splitlines(keepends=True)
    classes: list[ProtocolClass] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or not _is_protocol(node):
            continue
        methods = [
            ProtocolMethod(
                item.name, item, _method_source(item, lines), frozenset(_signature_names(item))
            )
            for item in node.body
            if isinstance(item, ast.AsyncFunctionDef | ast.FunctionDef)
        ]
        classes.append(ProtocolClass(node.name, tuple(methods), ast.get_docstring(node) or ""))
    return classes, imports


def _is_protocol(node: ast.ClassDef) -> bool:
    return any(isinstance(b, ast.Name) and b.id == "Protocol" for b in node.bases)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _import_statements(tree: ast.Module, package: str) -> dict[str, str]:
    found: dict[str, str] = {}
    # `services.py` imports the models for annotations only (`if TYPE_CHECKING:`); the
    # hand-written module, which builds them, imports them as usual.
    nodes: list[ast.stmt] = []
    for statement in tree.body:
        if isinstance(statement, ast.If) and _is_type_checking(statement):
            nodes += statement.body
        else:
            nodes.append(statement)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.partition(".")[0]
                found[bound] = f"import {alias.name}" + (
                    f" as {alias.asname}" if alias.asname else ""
                )
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            module = node.module or ""
            if node.level:  # `from . import models` → `from <package> import models`
                module = ".".join(filter(None, [package, module]))
            for alias in node.names:
                bound = alias.asname or alias.name
                found[bound] = f"from {module} import {alias.name}" + (
                    f" as {alias.asname}" if alias.asname else ""
                )
    return found


def _method_source(node: ast.AsyncFunctionDef | ast.FunctionDef, lines: list[str]) -> str:
    """The method's header (and docstring) as written in the Protocol, without its `...` body."""
    body = node.body
    keep = body[:1] if ast.get_docstring(node) is not None else []
    end = keep[0].end_lineno if keep else node.body[0].lineno - 1
    assert end is not None
    start = node.lineno - 1 - len(node.decorator_list)
    text = "".join(lines[start:end])
    indent = len(lines[node.lineno - 1]) - len(lines[node.lineno - 1].lstrip())
    return _reindent(text, indent, 4)


def _signature_names(node: ast.AsyncFunctionDef | ast.FunctionDef) -> set[str]:
    parts: list[ast.AST] = [node.args]
    if node.returns is not None:
        parts.append(node.returns)
    names: set[str] = set()
    for part in parts:
        for sub in ast.walk(part):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                with contextlib.suppress(SyntaxError):  # a string annotation: its names
                    names |= {
                        n.id
                        for n in ast.walk(ast.parse(sub.value, mode="eval"))
                        if isinstance(n, ast.Name)
                    }
    return names


# -- the hand-written side -------------------------------------------------------------------


def find_classes(folder: Path, wanted: set[str]) -> dict[str, HandWrittenClass]:
    """The first top-level class of each wanted name in the folder's modules (sorted paths)."""
    found: dict[str, HandWrittenClass] = {}
    for path in sorted(folder.rglob("*.py")):
        tree = _parse(path)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name in wanted and node.name not in found:
                found[node.name] = HandWrittenClass(path, node, _aliases(tree))
    return found


_TYPE_ALIAS: Any = getattr(ast, "TypeAlias", None)  # Python 3.12+


def _aliases(tree: ast.Module) -> dict[str, ast.expr]:
    aliases: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif _TYPE_ALIAS is not None and isinstance(node, _TYPE_ALIAS):  # `type X = ...`
            target, value = node.name, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            aliases[target.id] = value
    return aliases


class _Expand(ast.NodeTransformer):
    def __init__(self, aliases: dict[str, ast.expr]) -> None:
        self.aliases = aliases
        self.depth = 0

    def visit_Name(self, node: ast.Name) -> ast.AST:
        alias = self.aliases.get(node.id)
        if alias is None or self.depth > 5:
            return node
        self.depth += 1
        try:
            expanded: ast.AST = self.visit(copy.deepcopy(alias))
            return expanded
        finally:
            self.depth -= 1


def _parse(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise ScaffoldError(f"{path}: cannot read it ({exc})") from None


def _methods(node: ast.ClassDef) -> dict[str, ast.AsyncFunctionDef | ast.FunctionDef]:
    return {
        item.name: item
        for item in node.body
        if isinstance(item, ast.AsyncFunctionDef | ast.FunctionDef)
    }


# -- planning the additions ------------------------------------------------------------------


def plan(package_dir: Path, services_dir: Path) -> Plan:
    """Every file change that adds the missing stubs (nothing is written)."""
    protocols, imports = read_protocols(package_dir)
    classes = (
        find_classes(services_dir, {p.name for p in protocols}) if services_dir.is_dir() else {}
    )
    package = package_dir.name
    changes: dict[Path, FileChange] = {}
    new_classes: list[str] = []
    for protocol in protocols:
        existing = classes.get(protocol.name)
        if existing is None:
            path = services_dir / f"{_module_name(protocol.name)}.py"
            change = changes.get(path) or _change_for(path)
            changes[path] = change
            change.text = _add_class(change.text, protocol, imports, package)
            change.added += [f"{protocol.name}.{m.name}()" for m in protocol.methods]
            new_classes.append(protocol.name)
            continue
        have = _methods(existing.node)
        missing = [m for m in protocol.methods if m.name not in have]
        if not missing:
            continue
        change = changes.get(existing.path) or _change_for(existing.path)
        changes[existing.path] = change
        change.text = _append_methods(change.text, protocol.name, missing, imports, package)
        change.added += [f"{protocol.name}.{m.name}()" for m in missing]
    return Plan(list(changes.values()), new_classes)


def apply(result: Plan) -> None:
    for change in result.changes:
        change.path.parent.mkdir(parents=True, exist_ok=True)
        if change.created:
            init = change.path.parent / "__init__.py"
            if not init.exists():
                init.write_text("", encoding="utf-8")
        _write_atomically(change.path, change.text)


def _change_for(path: Path) -> FileChange:
    if path.exists():
        return FileChange(path, created=False, text=path.read_text(encoding="utf-8"))
    return FileChange(path, created=True, text="")


def _module_name(class_name: str) -> str:
    return snake_case(class_name.removesuffix("Service") or class_name, fallback="service")


def _stub(method: ProtocolMethod, owner: str, indent: int) -> str:
    body = " " * (indent * 2)
    text = method.source.rstrip("\n") + "\n"
    arguments = f'501, "Not Implemented", "{method.name}() is not implemented yet."'
    one_line = f"{body}raise ProblemException({arguments})"
    if len(one_line) <= LINE_LENGTH:  # as ruff format would write it
        text += one_line + "\n"
    else:
        text += f"{body}raise ProblemException(\n{body}    {arguments}\n{body})\n"
    return _reindent(text, 4, indent)


def _needed_imports(
    text: str, methods: list[ProtocolMethod], imports: dict[str, str], package: str
) -> list[str]:
    """Import statements for the names the stubs use that the module does not bind yet, one
    statement per module, in the order ruff's isort keeps (plain imports, then `from`
    imports; the generated package's last)."""
    names = {"ProblemException"}.union(*(m.names for m in methods))
    bound = _module_names(text)
    wanted = dict(imports)
    wanted["ProblemException"] = f"from {package} import ProblemException"
    plain: set[str] = set()
    from_imports: dict[str, set[str]] = {}
    for name in names - bound:
        statement = wanted.get(name)
        if statement is None:
            continue
        if statement.startswith("import "):
            plain.add(statement)
        else:
            module, _, what = statement.removeprefix("from ").partition(" import ")
            from_imports.setdefault(module, set()).add(what)
    ours = sorted(m for m in from_imports if m == package or m.startswith(f"{package}."))
    others = sorted(m for m in from_imports if m not in ours)
    return [
        *sorted(plain),
        *(_from_import(m, from_imports[m]) for m in others),
        *(_from_import(m, from_imports[m]) for m in ours),
    ]


def _from_import(module: str, names: set[str]) -> str:
    def order(name: str) -> tuple[int, str]:  # ruff's order-by-type: CONSTANTS, Classes, others
        kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
        return kind, name

    return f"from {module} import {', '.join(sorted(names, key=order))}"


def _module_names(text: str) -> set[str]:
    """Names bound at module level (imports, definitions, assignments)."""
    if not text.strip():
        return set()
    tree = ast.parse(text)
    bound: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound.add(alias.asname or alias.name.partition(".")[0])
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            bound.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            bound |= {t.id for t in targets if isinstance(t, ast.Name)}
    return bound


def _insert_imports(text: str, statements: list[str]) -> str:
    """Insert the statements after the module's last top-level import (or its docstring)."""
    if not statements:
        return text
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    anchor = 0
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            anchor = node.end_lineno or anchor
    if anchor == 0 and tree.body and ast.get_docstring(tree) is not None:
        anchor = tree.body[0].end_lineno or 0
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    block = [s + "\n" for s in statements]
    if anchor and not any(
        isinstance(n, ast.Import | ast.ImportFrom) for n in tree.body
    ):  # after a docstring: keep a blank line between
        block = ["\n", *block]
    return "".join(lines[:anchor] + block + lines[anchor:])


def _append_methods(
    text: str, owner: str, methods: list[ProtocolMethod], imports: dict[str, str], package: str
) -> str:
    text = _insert_imports(text, _needed_imports(text, methods, imports, package))
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner)
    lines = text.splitlines(keepends=True)
    end = node.end_lineno or len(lines)
    first = node.body[0]
    indent = first.col_offset - node.col_offset
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    stubs = "".join("\n" + _stub(m, owner, indent) for m in methods)
    stubs = _reindent(stubs, 0, node.col_offset) if node.col_offset else stubs
    return "".join(lines[:end]) + stubs + "".join(lines[end:])


def _add_class(text: str, protocol: ProtocolClass, imports: dict[str, str], package: str) -> str:
    header = ""
    if not text:
        header = (
            f'"""{protocol.name}: stubs added by `specfirst scaffold`; implement them."""\n\n'
            "from __future__ import annotations\n\n"
        )
    methods = list(protocol.methods)
    needed = _needed_imports(text, methods, imports, package)
    if text:
        text = _insert_imports(text, needed)
    else:
        package_start = next(
            (i for i, s in enumerate(needed) if s.startswith(f"from {package} ")), len(needed)
        )
        sections = [needed[:package_start], needed[package_start:]]
        header += "\n\n".join("\n".join(s) for s in sections if s) + "\n"
    doc = f"Implements `{package}.services.{protocol.name}`."
    body = f'\n\nclass {protocol.name}:\n    """{doc}"""\n'
    body += "".join("\n" + _stub(m, protocol.name, 4) for m in methods)
    if text and not text.endswith("\n"):
        text += "\n"
    return (header + text + body) if not text else text + body


def _reindent(text: str, old: int, new: int) -> str:
    if old == new:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        if line.strip() and line.startswith(" " * old):
            line = " " * new + line[old:]
        out.append(line)
    return "".join(out)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.scaffold")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


# -- checking --------------------------------------------------------------------------------


def check(package_dir: Path, services_dir: Path) -> list[Finding]:
    """Missing methods, methods the contract no longer has, and differing signatures."""
    protocols, _ = read_protocols(package_dir)
    classes = (
        find_classes(services_dir, {p.name for p in protocols}) if services_dir.is_dir() else {}
    )
    findings: list[Finding] = []
    for protocol in protocols:
        existing = classes.get(protocol.name)
        if existing is None:
            findings.append(
                Finding(
                    services_dir,
                    0,
                    f"no class {protocol.name} in {services_dir} "
                    f"(operations: {', '.join(m.name for m in protocol.methods)})",
                )
            )
            continue
        have = _methods(existing.node)
        wanted = {m.name: m for m in protocol.methods}
        for method in protocol.methods:
            if method.name not in have:
                findings.append(
                    Finding(
                        existing.path,
                        existing.node.lineno,
                        f"{protocol.name} lacks {method.name}() ({_summary(method)})",
                    )
                )
                continue
            difference = _signature_difference(method.node, have[method.name], existing.aliases)
            if difference:
                findings.append(
                    Finding(
                        existing.path,
                        have[method.name].lineno,
                        f"{protocol.name}.{method.name}() differs from the contract: {difference}",
                    )
                )
        for name, node in have.items():
            if (
                name not in wanted
                and isinstance(node, ast.AsyncFunctionDef)
                and not name.startswith("_")
            ):
                findings.append(
                    Finding(
                        existing.path,
                        node.lineno,
                        f"{protocol.name}.{name}() is no operation of the contract "
                        "(removed or renamed there?)",
                    )
                )
    return findings


def _summary(method: ProtocolMethod) -> str:
    doc = ast.get_docstring(method.node) or ""
    return doc.splitlines()[0] if doc else "see the generated Protocol"


@dataclass(frozen=True)
class _Parameter:
    name: str
    kind: str
    annotation: str
    default: str | None


def _parameters(
    node: ast.AsyncFunctionDef | ast.FunctionDef, aliases: dict[str, ast.expr] | None = None
) -> list[_Parameter]:
    args = node.args

    def _annotation(annotation: ast.expr | None) -> str:
        return _annotation_text(annotation, aliases or {})

    result: list[_Parameter] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        if index == 0 and arg.arg in ("self", "cls"):
            continue
        kind = "positional-only" if arg in args.posonlyargs else "positional"
        result.append(_Parameter(arg.arg, kind, _annotation(arg.annotation), _text(default)))
    if args.vararg is not None:
        result.append(
            _Parameter(args.vararg.arg, "*args", _annotation(args.vararg.annotation), None)
        )
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        result.append(
            _Parameter(arg.arg, "keyword", _annotation(arg.annotation), _text(kw_default))
        )
    if args.kwarg is not None:
        result.append(
            _Parameter(args.kwarg.arg, "**kwargs", _annotation(args.kwarg.annotation), None)
        )
    return result


_QUALIFIER = re.compile(r"\b[A-Za-z_]\w*\.(?=[A-Za-z_])")


def _annotation_text(node: ast.expr | None, aliases: dict[str, ast.expr]) -> str:
    """Annotation text with the module's aliases expanded and without module qualifiers
    (`models.Item` and `Item` are the same)."""
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        with contextlib.suppress(SyntaxError):
            node = ast.parse(node.value, mode="eval").body
    node = _Expand(aliases).visit(copy.deepcopy(node)) if aliases else node
    text = (
        node.value
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        else ast.unparse(node)
    )
    return _QUALIFIER.sub("", text.replace(" ", ""))


def _text(node: ast.expr | None) -> str | None:
    return None if node is None else ast.unparse(node)


def _signature_difference(
    expected: ast.AsyncFunctionDef | ast.FunctionDef,
    actual: ast.AsyncFunctionDef | ast.FunctionDef,
    aliases: dict[str, ast.expr],
) -> str | None:
    if isinstance(expected, ast.AsyncFunctionDef) and not isinstance(actual, ast.AsyncFunctionDef):
        return "it must be `async def`"
    want = {p.name: p for p in _parameters(expected)}
    have = {p.name: p for p in _parameters(actual, aliases)}
    problems: list[str] = []
    for name, parameter in want.items():
        found = have.get(name)
        if found is None:
            problems.append(f"parameter {name} is missing")
            continue
        if found.kind != parameter.kind:
            problems.append(f"{name} is {found.kind}, expected {parameter.kind}")
        if found.annotation and found.annotation != parameter.annotation:
            problems.append(f"{name}: {found.annotation}, expected {parameter.annotation}")
        if found.default != parameter.default:
            problems.append(
                f"{name} defaults to {found.default or 'nothing'}, expected {parameter.default or 'none'}"
            )
    for name, parameter in have.items():
        if (
            name not in want
            and parameter.default is None
            and parameter.kind not in ("*args", "**kwargs")
        ):
            problems.append(f"requires {name}, which the contract does not supply")
    return "; ".join(problems) or None
