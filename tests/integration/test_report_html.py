"""The HTML report: self-contained, escaped, and drawn by a real browser at a phone's width."""

from __future__ import annotations

import re
from pathlib import Path

from call_logger.core import report, report_html
from call_logger.core.report_html import ANSWERED_COLOUR, HOUR_COLOUR, MISSED_COLOUR

from tests.support.browser import read_png, screenshot
from tests.unit.test_report_figures import CHATS, MSK, RECORDS, SINCE, UNTIL, figures
from tools.browser import PHONE_WIDTH

BACKGROUND = (0xF4, 0xF5, 0xF7)


def test_page_needs_nothing_from_a_network() -> None:
    page = report_html.render(figures())

    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|url\(|@import", page)
    links = re.findall(r'href="([^"]*)"', page)
    assert links == ["https://wa.me/79001234567"]  # the lid caller has no number to link


def test_people_to_call_back_come_first_with_their_counts() -> None:
    page = report_html.render(figures())

    text = re.sub(r"<[^>]+>", " ", page)
    assert text.index("Call back: 2 people (3 missed calls)") < text.index("Calls per day")
    assert re.search(
        r"Ivan Petrov\s+\+79001234567\s+2 missed calls\s+since Wed 25 Nov, 13:00", text
    )


def test_names_are_escaped() -> None:
    chats = {key: fields | {"callerName": "<b>Ivan</b> & Co"} for key, fields in CHATS.items()}
    page = report_html.render(report.compute(RECORDS, chats, SINCE, UNTIL, MSK))

    assert "&lt;b&gt;Ivan&lt;/b&gt; &amp; Co" in page and "<b>Ivan" not in page


def test_chromium_draws_both_charts_within_a_phone_screen(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(report_html.render(figures()), encoding="utf-8")
    png = tmp_path / "report.png"

    screenshot(page, png)

    image = read_png(png)
    assert image.width == PHONE_WIDTH
    # One unit of a bar is over 1,000 pixels at this width; text in these colours is far less.
    for colour in (ANSWERED_COLOUR, MISSED_COLOUR, HOUR_COLOUR):
        assert image.count(colour) > 1000, colour
    # Nothing is cut off at the right: the page's own margin is still there.
    assert image.column_is_blank(PHONE_WIDTH - 1, BACKGROUND)
