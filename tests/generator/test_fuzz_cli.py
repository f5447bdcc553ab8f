"""Mutated contracts through `validate` and `generate`: never a traceback, always 0, 1 or 2.

Hypothesis mutates a small fixture contract, as text (a character inserted, a line dropped or
doubled, the text cut short, a BOM) and as data (a node replaced by another type, a dangling
`$ref`, an alias bomb, deep nesting, an over-long integer). Every run must end with exit 0, 1 or 2;
a failure must say where (`file:line:column`), and `generate` must leave an existing package exactly
as it was. The budget is small (seconds); `SPECFIRST_FUZZ_EXAMPLES` raises it for a longer hunt.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specfirst.cli import main
from specfirst.generator.write import tree_files

HERE = Path(__file__).parent
BASE = HERE / "fixtures" / "robustness" / "responses.yaml"
EXAMPLES = int(os.environ.get("SPECFIRST_FUZZ_EXAMPLES", "10"))
LOCATED = re.compile(r"^(specfirst: )?[^\s:][^:]*:\d+:\d+: ", re.MULTILINE)

REPLACEMENTS: list[Any] = [
    None,
    0,
    -1,
    1.5,
    True,
    "",
    "x",
    [],
    {},
    [None],
    {"$ref": "#/components/schemas/Nowhere"},
    {"$ref": "other.yaml#/Nowhere"},
    {"type": "array"},
    {"type": "object", "properties": {"a": {"$ref": "#"}}},
]


def _nodes(document: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every node below the root."""
    found: list[tuple[Any, Any]] = []
    stack = [document]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            found.append((node, key))
            if isinstance(value, dict | list):
                stack.append(value)
    return found


def _mutate_data(text: str, seed: int, kind: str) -> tuple[str, str]:
    """A mutated contract (text, suffix) from the base YAML text."""
    chooser = random.Random(seed)
    document = yaml.safe_load(text)
    container, key = chooser.choice(_nodes(document))
    if kind == "replace":
        container[key] = chooser.choice(REPLACEMENTS)
    elif kind == "drop":
        del container[key]
    elif kind == "deep":
        deep: Any = "bottom"
        for _ in range(chooser.choice([400, 700, 1200])):
            deep = [deep]
        container[key] = deep
    if chooser.random() < 0.5:
        return json.dumps(document, indent=1), ".json"
    if kind == "deep":  # PyYAML's dumper recurses; write the nesting in flow style ourselves
        return json.dumps(document), ".yaml"
    return yaml.safe_dump(document, sort_keys=False), ".yaml"


def _mutate_text(text: str, seed: int, kind: str) -> tuple[str, str]:
    chooser = random.Random(seed)
    lines = text.splitlines(keepends=True)
    at = chooser.randrange(len(lines))
    if kind == "insert":
        offset = chooser.randrange(len(text))
        text = text[:offset] + chooser.choice("{}[]:,&*!|>'\"#-?%@`\t\x00") + text[offset:]
    elif kind == "drop-line":
        text = "".join(lines[:at] + lines[at + 1 :])
    elif kind == "double-line":
        text = "".join(lines[: at + 1] + lines[at:])
    elif kind == "cut":
        text = text[: chooser.randrange(len(text))]
    elif kind == "bom":
        text = "\ufeff" + text
    elif kind == "bomb":
        laughs = "x-laughs:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in range(1, 8):
            laughs += f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]\n"
        text += laughs
    elif kind == "long-int":
        text += "x-long: " + "7" * 5000 + "\n"
    return text, ".yaml"


MUTATIONS = st.one_of(
    st.tuples(st.just("data"), st.sampled_from(["replace", "drop", "deep"])),
    st.tuples(
        st.just("text"),
        st.sampled_from(["insert", "drop-line", "double-line", "cut", "bom", "bomb", "long-int"]),
    ),
)


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)  # an exception escaping here is the traceback a user would see
    return code, out.getvalue() + err.getvalue()


def _mutant(folder: Path, mutation: tuple[str, str], seed: int) -> Path:
    text = BASE.read_text(encoding="utf-8")
    family, kind = mutation
    mutated, suffix = (_mutate_data if family == "data" else _mutate_text)(text, seed, kind)
    contract = folder / f"mutant{suffix}"
    contract.write_text(mutated, encoding="utf-8")
    return contract


def _check(code: int, output: str) -> None:
    assert code in (0, 1, 2), output
    assert "Traceback" not in output
    if code != 0:
        assert LOCATED.search(output), output


@settings(
    max_examples=EXAMPLES * 4,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(mutation=MUTATIONS, seed=st.integers(0, 2**32 - 1))
def test_validate_never_crashes_and_locates_its_errors(
    mutation: tuple[str, str], seed: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        contract = _mutant(Path(tmp), mutation, seed)
        _check(*_run(["validate", str(contract)]))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(mutation=MUTATIONS, seed=st.integers(0, 2**32 - 1))
def test_generate_never_crashes_and_leaves_the_package_alone_on_failure(
    mutation: tuple[str, str], seed: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        contract = _mutant(folder, mutation, seed)
        package = folder / "out" / "fuzz_api"
        package.mkdir(parents=True)
        (package / "service.py").write_text("# hand-written? kept as it was\n", encoding="utf-8")
        before = tree_files(package)
        cwd = Path.cwd()
        os.chdir(folder)  # generate keeps local state in the working folder
        try:
            code, output = _run(
                ["generate", contract.name, "--out", "out", "--package", "fuzz_api"]
            )
        finally:
            os.chdir(cwd)
        _check(code, output)
        if code != 0:
            assert tree_files(package) == before, output
