"""Every `make` target the README and docs/ tell a reader to run exists in the Makefile."""

from __future__ import annotations

import re

from tests.support.docs import DOCS, README, ROOT, prose_lines

MAKE = re.compile(r"(?:^|[\s`(;&|])make ([a-z][a-z0-9-]*)")


def code_of(text: str) -> str:
    """The text of fenced blocks and `code spans`, where commands are written."""
    prose = {number for number, _ in prose_lines(text)}
    lines = text.splitlines()
    fenced = [line for number, line in enumerate(lines, start=1) if number not in prose]
    spans = [span for number in prose for span in re.findall(r"`([^`]+)`", lines[number - 1])]
    return "\n".join(fenced + spans)


def test_every_make_target_in_the_docs_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-zA-Z][\w.-]*)\s*:(?!=)", makefile, re.MULTILINE))
    named = {
        (page.name, target)
        for page in [README, *DOCS.glob("*.md")]
        for target in MAKE.findall(code_of(page.read_text()))
    }
    assert len(named) > 10
    assert sorted((page, target) for page, target in named if target not in targets) == []
