"""The README's map of the code ("## The code") names every module, so a new or renamed module
cannot leave it behind."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The code\n", 1)[1].split("\n## ", 1)[0]
    modules = sorted(path.name for path in (ROOT / "function" / "call_logger").glob("*.py"))
    missing = [name for name in modules if name != "__init__.py" and f"`{name}`" not in section]
    assert missing == []
