"""`[tool.specfirst]`: every key checked by name and type; docs/configuration.md lists each one."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from specfirst.cli import main
from specfirst.config import API_KEYS, PROJECT_KEYS, ConfigError, load_config

DOCS = Path(__file__).parents[2] / "docs" / "configuration.md"

GOOD = """
[[tool.specfirst.apis]]
name = "shop"
contract = "specs/shop/openapi.yaml"
package = "shop_api"
out = "src"
services = "src/shop_service/services"
models = "operations"
field_names = "wire"

[tool.specfirst.apis.contract_test]
app = "shop_service.app:create_app"

[tool.specfirst.lint.rules]
operation-summary = "warning"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_full_table_is_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    (api,) = config.apis
    assert api.name == "shop"
    assert api.package == "shop_api"
    assert api.package_dir == (tmp_path / "src" / "shop_api").resolve()
    assert api.services == (tmp_path / "src" / "shop_service" / "services").resolve()
    assert api.models == "operations"
    assert api.field_names == "wire"
    assert config.lint == {"rules": {"operation-summary": "warning"}}


def test_defaults(tmp_path: Path) -> None:
    (api,) = load_config(
        write(tmp_path, '[[tool.specfirst.apis]]\nname = "a"\ncontract = "a.yaml"\npackage = "a"\n')
    ).apis
    assert api.out == tmp_path.resolve() / "generated"
    assert api.models == "all"
    assert api.field_names == "snake_case"
    assert api.services is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[tool.specfirst]\napis = "shop"\n',
            "tool.specfirst.apis: expected an array of tables, got a string 'shop'",
        ),
        (
            '[tool.specfirst]\napis = ["shop"]\n',
            "tool.specfirst.apis[0] must be a table ([[tool.specfirst.apis]]), got a string",
        ),
        (
            '[[tool.specfirst.apis]]\nname = "a"\ncontract = 3\npackage = "a"\n',
            "tool.specfirst.apis[0].contract: expected a string, got an integer 3",
        ),
        (
            '[[tool.specfirst.apis]]\nname = "a"\npackage = "a"\n',
            "tool.specfirst.apis[0]: missing key 'contract' (a string)",
        ),
        (
            '[[tool.specfirst.apis]]\nname = "a"\ncontract = "a"\npackage = "a-b"\n',
            "tool.specfirst.apis[0].package: expected a Python package name, got 'a-b'",
        ),
        (
            '[[tool.specfirst.apis]]\nname = "a"\ncontract = "a"\npackage = "a"\ncontrakt = 1\n',
            "tool.specfirst.apis[0]: unknown key 'contrakt'; did you mean 'contract'?",
        ),
        (
            '[[tool.specfirst.apis]]\nname = "a"\ncontract = "a"\npackage = "a"\n'
            '[tool.specfirst.apis.contract_test]\n[[tool.specfirst.apis]]\nname = "a"\n'
            'contract = "b"\npackage = "b"\n',
            "tool.specfirst.apis[1].name: 'a' is configured twice",
        ),
        (
            '[[tool.specfirst.apis]]\nname = "a"\ncontract = "a"\npackage = "a"\n'
            'field_names = "camel"\n',
            "tool.specfirst.apis[0].field_names: expected one of 'snake_case', 'wire', got 'camel'",
        ),
        ("[tool.specfirst]\nlint = 1\n", "tool.specfirst.lint: expected a table, got an integer"),
        ('[tool]\nspecfirst = "x"\n', "tool.specfirst must be a table, got a string"),
    ],
)
def test_a_malformed_table_names_the_key_and_the_expected_type(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(write(tmp_path, text))
    assert message in str(excinfo.value)


def test_the_cli_reports_it_in_one_line_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, '[tool.specfirst]\napis = "shop"\n')
    monkeypatch.chdir(tmp_path)
    for command in ("generate", "check", "validate", "lint"):
        assert main([command]) == 2, command
        captured = capsys.readouterr()
        err = captured.out + captured.err  # validate reports on stdout
        assert err.count("\n") == 1, (command, err)
        assert "expected an array of tables" in err
        assert "Traceback" not in err


def test_docs_list_every_key_with_type_and_default() -> None:
    text = DOCS.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| (.+) \|$", text, flags=re.MULTILINE))
    for key in (*PROJECT_KEYS, *API_KEYS):
        assert key.name in rows, f"docs/configuration.md does not list {key.name!r}"
