"""Stacked bar charts as inline SVG for the report page. Pure: a string from bars.

The chart scales to the screen's width (viewBox, no pixel sizes). Axis labels are spaced by
their own width so none overlaps another, and none reaches past either edge; a label may carry
the year on a second line (under the first label, and where a new year begins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from math import ceil

WIDTH, HEIGHT = 360, 172
PLOT_TOP, PLOT_BOTTOM, PLOT_LEFT, PLOT_RIGHT = 14, 140, 28, 356
FONT_SIZE = 11
# A generous width of one character at FONT_SIZE (system-ui digits and letters are about 0.55
# em), and the gap kept between two labels.
CHAR_WIDTH, LABEL_GAP = 6.6, 8.0
BAR_SHARE = 0.7  # of its slot; the rest is the gap between bars


@dataclass(frozen=True)
class Bar:
    label: str  # under the axis, where there is room for it
    title: str  # the tooltip, before each part's count and name
    parts: tuple[int, ...]  # stacked from the bottom, one per series
    year: int | None = None  # shown under the label where the year starts or changes


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


def stacked(
    bars: Sequence[Bar],
    series: Sequence[Series],
    label: str,
    labelled: Sequence[bool] | None = None,
) -> str:
    """The chart, the bars of `labelled` labelled (None: every n-th, as often as the labels'
    width allows)."""
    top = nice_top(max((sum(bar.parts) for bar in bars), default=0))
    slot = slot_width(len(bars))
    width = slot * BAR_SHARE
    if labelled is None:
        every = label_step(bars)
        labelled = [index % every == 0 for index in range(len(bars))]
    shapes = [_axis(top)]
    shown_year: int | None = None
    for index, bar in enumerate(bars):
        x = PLOT_LEFT + index * slot + (slot - width) / 2
        y = float(PLOT_BOTTOM)
        for count, part in zip(bar.parts, series, strict=True):
            height = _height(count, top)
            y -= height
            shapes.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="{part.colour}"><title>{escape(bar.title)}: {count} '
                f"{escape(part.name)}</title></rect>"
            )
        if labelled[index]:
            year = bar.year if bar.year is not None and bar.year != shown_year else None
            shown_year = bar.year if bar.year is not None else shown_year
            shapes.append(_label(x + width / 2, bar.label, year))
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui,sans-serif" '
        f'font-size="{FONT_SIZE}" fill="#555">' + "".join(shapes) + "</svg>"
    )


def label_step(bars: Sequence[Bar]) -> int:
    """The smallest n for which labelling every n-th bar leaves each label its width and a
    gap."""
    widest = max((text_width(bar.label) for bar in bars), default=0.0)
    return max(1, ceil((widest + LABEL_GAP) / slot_width(len(bars))))


def slot_width(count: int) -> float:
    """The room of one bar and its gap."""
    return (PLOT_RIGHT - PLOT_LEFT) / max(count, 1)


def text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH


def nice_top(largest: int) -> int:
    """An even axis top at or above `largest` (2 for an empty chart, so the axis still shows)."""
    return max(2, largest + largest % 2)


def _axis(top: int) -> str:
    """Baseline, a middle and a top grid line with their values."""
    lines = []
    for value in (0, top // 2, top) if top >= 2 else (0, top):
        y = PLOT_BOTTOM - _height(value, top)
        lines.append(
            f'<line x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{PLOT_LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{value}</text>'
        )
    return "".join(lines)


def _label(x: float, text: str, year: int | None) -> str:
    """Centred under its bar, moved in just enough to stay whole at either edge."""
    lines = [(text, PLOT_BOTTOM + 14)] + ([(str(year), PLOT_BOTTOM + 27)] if year else [])
    shapes = []
    for line, y in lines:
        half = text_width(line) / 2
        centre = min(max(x, half), WIDTH - half)
        shapes.append(f'<text x="{centre:.1f}" y="{y}" text-anchor="middle">{escape(line)}</text>')
    return "".join(shapes)


def _height(value: int, top: int) -> float:
    return 0.0 if top == 0 else value / top * (PLOT_BOTTOM - PLOT_TOP)
