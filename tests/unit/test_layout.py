"""`make run`, the benchmark and the tools are the product's own: nothing in them imports tests/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_DIRS = ("function", "devserver", "bench", "tools")


def imported_modules(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("folder", PRODUCT_DIRS)
def test_nothing_outside_tests_imports_from_tests(folder: str) -> None:
    importers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / folder).rglob("*.py")
        if any(
            name == "tests" or name.startswith("tests.")
            for name in imported_modules(path.read_text())
        )
    )
    assert importers == []


def test_imports_are_found_in_both_forms() -> None:
    assert imported_modules("import tests.support\nfrom tests.x import y\n") == {
        "tests.support",
        "tests.x",
    }
