"""The documentation as tests read it: the README (the front page) and the pages in docs/.

Pure (files only): the unit layer imports it. A test names the page that states its contract,
so a section moved to another page fails that test instead of passing on stale text.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = ROOT / "README.md"

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def page_path(page: str) -> Path:
    """`README.md`, or a page of docs/ by its file name (`operations.md`)."""
    return README if page == "README.md" else DOCS / page


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, where headings and links are markdown."""
    lines: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append((number, line))
    return lines


def headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of each heading, in order."""
    found = []
    for _, line in prose_lines(text):
        match = _HEADING.match(line)
        if match:
            found.append((len(match.group(1)), match.group(2)))
    return found


def section(page: str, title: str) -> str:
    """The text under the heading `title` on `page`, down to the next heading of its level or
    higher (its subsections included). Fails when the page has no such heading."""
    lines = page_path(page).read_text().splitlines()
    fenced = False
    start = level = None
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if not match:
            continue
        if start is None:
            if match.group(2) == title:
                start, level = index, len(match.group(1))
        elif len(match.group(1)) <= level:  # type: ignore[operator]
            return "\n".join(lines[start:index])
    assert start is not None, f"{page} has no heading {title!r}"
    return "\n".join(lines[start:])


def slug(title: str) -> str:
    """The anchor GitHub makes of a heading: the text of links and code kept, lower case, every
    character but letters, digits, spaces, '-' and '_' dropped, spaces turned into '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title)
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor the page's headings make; a repeated slug gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    made: set[str] = set()
    for _, title in headings(text):
        base = slug(title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        made.add(base if count == 0 else f"{base}-{count}")
    return made
