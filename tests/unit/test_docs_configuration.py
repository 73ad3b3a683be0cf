"""docs/configuration.md's table is the list of settings: every variable the configuration reads
has a row, once, and every row names a variable the function reads."""

from __future__ import annotations

import json
import re

from call_logger.settings.config import Config
from call_logger.settings.per_instance import INSTANCE_FIELDS

from tests.support.docs import ROOT, section

FUNCTION = ROOT / "function"
# Both stacks' settings (a link in each): a variable whose description starts with "NAME:" sets
# that environment variable.
TERRAFORM_SETTINGS = ROOT / "terraform" / "shared" / "settings.tf"
# Terraform's default differs from the function's on purpose, as the row says: the stacks keep
# personal data a year unless told otherwise.
STACK_CHOICES = {"RECORD_RETENTION_DAYS"}
# Read by the Firestore client library itself, as its row says, not by our code.
READ_BY_A_LIBRARY = {"FIRESTORE_EMULATOR_HOST"}


def read_by_the_configuration() -> set[str]:
    """The variables Config.from_env reads: by name in the settings package, and those of the
    table of what an instance may set for itself."""
    settings = FUNCTION / "call_logger" / "settings"
    source = "\n".join(path.read_text() for path in settings.glob("*.py"))
    named = set(re.findall(r"""\b(?:get|read)\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    return named | {variable for _, variables, _ in INSTANCE_FIELDS for variable in variables}


def documented_defaults() -> dict[str, str]:
    """Each row's default column: a value in backticks, or a note in parentheses ("(empty)")."""
    table = section("configuration.md", "Configuration")
    return dict(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*?) \|", table, re.MULTILINE))


def documented() -> list[str]:
    table = section("configuration.md", "Configuration")
    return re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, re.MULTILINE)


def test_every_variable_the_configuration_reads_has_a_row() -> None:
    read = read_by_the_configuration()
    assert len(read) > 20
    table = section("configuration.md", "Configuration")
    # A row of its own, or named in another's (GCLOUD_PROJECT, GOOGLE_CLOUD_PROJECT's alias).
    assert sorted(name for name in read if f"`{name}`" not in table) == []


def test_each_variable_has_one_row() -> None:
    rows = documented()
    assert sorted({name for name in rows if rows.count(name) > 1}) == []


def test_every_row_names_a_variable_the_function_reads() -> None:
    code = "\n".join(path.read_text() for path in FUNCTION.rglob("*.py"))
    stale = [
        name
        for name in documented()
        if name not in READ_BY_A_LIBRARY and f'"{name}"' not in code and f"'{name}'" not in code
    ]
    assert stale == []


def test_each_documented_default_is_the_codes_default() -> None:
    # Setting a variable to its documented default must change nothing: the text in the table
    # and Config's field default are the same fact.
    defaults = documented_defaults()
    values = {name: text for name, text in defaults.items() if re.fullmatch(r"`[^`]+`", text)}
    notes = {name: text for name, text in defaults.items() if name not in values}
    assert len(values) > 15
    assert sorted(name for name, text in notes.items() if not text.startswith("(")) == []
    assert sorted(set(values) - read_by_the_configuration()) == []
    unset = Config.from_env({})
    differs = [
        f"{name}={text}"
        for name, text in values.items()
        if Config.from_env({name: text.strip("`")}) != unset
    ]
    assert differs == []


def terraform_defaults() -> dict[str, str]:
    """Each setting's Terraform default, as the stacks put it in the environment (a list joined
    with commas); variables without a default, or with null or an empty map, are left out."""
    text = TERRAFORM_SETTINGS.read_text()
    found = {}
    for body in re.findall(r'^variable "\w+" \{\n(.*?)^\}', text, re.MULTILINE | re.DOTALL):
        setting = re.search(r'^  description = "([A-Z][A-Z0-9_]+):', body, re.MULTILINE)
        default = re.search(r"^  default +=  *(.+)$", body, re.MULTILINE)
        if not setting or not default or default.group(1) in ("null", "{}"):
            continue
        value = json.loads(default.group(1))
        found[setting.group(1)] = ",".join(value) if isinstance(value, list) else str(value)
    return found


def test_each_terraform_default_is_the_codes_default() -> None:
    # A deployment that sets nothing runs with the function's defaults: the stacks' defaults
    # restate them, so each must mean the same (documented exceptions aside).
    defaults = terraform_defaults()
    assert len(defaults) > 10
    unset = Config.from_env({})
    differs = [
        f"{name}={text}"
        for name, text in defaults.items()
        if name not in STACK_CHOICES and Config.from_env({name: text}) != unset
    ]
    assert differs == []
    assert "365" in documented_defaults()["RECORD_RETENTION_DAYS"]
