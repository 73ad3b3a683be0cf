"""The README is the front page: short, and a way to every page of docs/; no relative link in
the README or docs/ leads nowhere (a missing file, or an anchor no heading makes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.docs import DOCS, README, ROOT, anchors, prose_lines

PAGES = sorted([README, *DOCS.glob("*.md")])
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_CODE_SPAN = re.compile(r"`+[^`]*`+")


def relative_links(page: Path) -> list[tuple[int, str]]:
    """(line, target) of every link or image that is not a URL with a scheme (https:, mailto:)."""
    found = []
    for number, line in prose_lines(page.read_text()):
        for target in _LINK.findall(_CODE_SPAN.sub("", line)):
            if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                found.append((number, target))
    return found


def broken(page: Path, target: str) -> str | None:
    """Why the link leads nowhere, or None."""
    path, _, anchor = target.partition("#")
    dest = (page.parent / path).resolve() if path else page
    if not dest.exists():
        return f"no file {path}"
    if anchor and dest.suffix == ".md" and anchor not in anchors(dest.read_text()):
        return f"no heading of {dest.name} makes #{anchor}"
    return None


def test_the_checker_finds_links_and_catches_broken_ones(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# A `code` title: here\n\n[ok](#a-code-title-here) [gone](#nowhere) [file](other.md)\n"
        "```\n[in a fence](#ignored)\n```\n`[in code](#ignored)` [web](https://example.com)\n"
    )
    links = [target for _, target in relative_links(page)]
    assert links == ["#a-code-title-here", "#nowhere", "other.md"]
    assert [broken(page, target) for target in links] == [
        None,
        "no heading of page.md makes #nowhere",
        "no file other.md",
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    failures = [
        f"line {number}: {target}: {why}"
        for number, target in relative_links(page)
        if (why := broken(page, target)) is not None
    ]
    assert failures == []


def test_the_readme_links_every_docs_page() -> None:
    targets = (target.partition("#")[0] for _, target in relative_links(README))
    linked = {(README.parent / path).resolve() for path in targets}
    assert sorted(page.name for page in DOCS.glob("*.md") if page.resolve() not in linked) == []


def test_the_readme_is_a_front_page() -> None:
    assert len(README.read_text().splitlines()) <= 200
