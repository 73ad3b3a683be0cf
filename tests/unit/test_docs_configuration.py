"""docs/configuration.md's table is the list of settings: every variable the configuration reads
has a row, once, and every row names a variable the function reads."""

from __future__ import annotations

import re

from tests.support.docs import ROOT, section

FUNCTION = ROOT / "function"
# Read by the Firestore client library itself, as its row says, not by our code.
READ_BY_A_LIBRARY = {"FIRESTORE_EMULATOR_HOST"}


def documented() -> list[str]:
    table = section("configuration.md", "Configuration")
    return re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, re.MULTILINE)


def test_every_variable_the_configuration_reads_has_a_row() -> None:
    source = "\n".join(path.read_text() for path in FUNCTION.rglob("config.py"))
    read = set(re.findall(r"""\bget\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
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
