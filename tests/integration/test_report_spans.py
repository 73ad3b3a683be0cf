"""The report reads well at any span (issue 28): a week in days, a quarter in weeks, over a year in
months, each drawn by a real browser at a phone's width with every label whole and apart."""

from __future__ import annotations

import html
import itertools
import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
from call_logger.core import report_html

from tests.support.browser import laid_out
from tools import report_screenshot

SVG = "{http://www.w3.org/2000/svg}"
# Per span in days: the chart's unit, its bars (the window's local days, ISO weeks from Monday
# or months; the sample ends on Mon 30 Nov 2026, 18:00 Moscow) and its labels, as many as fit.
SPANS = {
    7: ("day", 8, ["23 Nov", "25 Nov", "27 Nov", "29 Nov"]),
    90: ("week", 14, ["31 Aug", "28 Sep", "26 Oct", "23 Nov"]),
    400: ("month", 14, ["Oct 2025", "Jan 2026", "Apr 2026", "Jul 2026", "Oct 2026"]),
}
# The page as drawn: each chart's size and, for each text and bar, where the browser put it.
MEASURE = """<script>
const charts = [...document.querySelectorAll("svg")].map((svg) => ({
  label: svg.getAttribute("aria-label"),
  width: svg.viewBox.baseVal.width,
  height: svg.viewBox.baseVal.height,
  texts: [...svg.querySelectorAll("text")].map((text) => {
    const box = text.getBBox();
    return {text: text.textContent, x: box.x, y: box.y, width: box.width, height: box.height};
  }),
  barWidths: [...svg.querySelectorAll("rect")].map((bar) => bar.getBoundingClientRect().width),
}));
const out = document.createElement("pre");
out.id = "measured";
out.textContent = JSON.stringify(charts);
document.body.append(out);
</script>"""


def page(days: int) -> str:
    return report_html.render(report_screenshot.figures(days), title="Calls")


def calls_chart(text: str) -> ElementTree.Element:
    found = re.search(r'<svg[^>]*aria-label="Answered and missed calls per \w+".*?</svg>', text)
    assert found, "no calls chart"
    return ElementTree.fromstring(found.group(0))


@pytest.mark.parametrize("days", sorted(SPANS))
def test_the_span_picks_the_bucket_its_title_and_labels(days: int) -> None:
    unit, bars, labels = SPANS[days]
    text = page(days)

    chart = calls_chart(text)
    assert f"<h2>Calls per {unit}</h2>" in text
    assert len(chart.findall(f"{SVG}rect")) == 2 * bars  # answered and missed per bucket
    shown = [label.text for label in chart.findall(f"{SVG}text") if label.get("y") == "154"]
    assert shown == labels


@pytest.mark.parametrize("days", sorted(SPANS))
def test_chromium_draws_every_label_whole_and_apart(days: int, tmp_path: Path) -> None:
    drawn = tmp_path / "report.html"
    drawn.write_text(page(days).replace("</body>", MEASURE + "</body>"), encoding="utf-8")

    dom = laid_out(drawn)

    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, "the browser ran no measurement"
    charts: list[dict[str, Any]] = json.loads(html.unescape(found.group(1)))
    assert len(charts) == 3  # calls, call-backs, hours
    for chart in charts:
        for text in chart["texts"]:
            assert text["x"] >= 0 and text["x"] + text["width"] <= chart["width"], text
            assert text["y"] >= 0 and text["y"] + text["height"] <= chart["height"], text
        rows: dict[float, list[dict[str, Any]]] = {}
        for text in chart["texts"]:
            rows.setdefault(round(text["y"]), []).append(text)
        for row in rows.values():
            row.sort(key=lambda text: text["x"])
            for left, right in itertools.pairwise(row):
                assert left["x"] + left["width"] < right["x"], (left, right)
        # A bar a thumb can find: at most about 60 of them, each a few pixels wide.
        assert len(chart["barWidths"]) <= 2 * 60
        assert min(chart["barWidths"]) >= 4, chart["label"]
