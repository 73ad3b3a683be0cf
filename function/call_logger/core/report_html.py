"""The call report as one self-contained HTML page: figures, two inline SVG charts and the people
to call back. Pure (a string from Figures); no script, no external file, nothing from a network.

Written for a shop owner on a phone: who to call back comes first, in plain words, and every
chart scales to the screen's width (SVG viewBox, no fixed pixel widths).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from call_logger.core.report import Figures, Waiting

ANSWERED_COLOUR = "#2e7d32"
MISSED_COLOUR = "#c62828"
HOUR_COLOUR = "#1565c0"
_CHART_WIDTH, _CHART_HEIGHT = 360, 170
_PLOT_TOP, _PLOT_BOTTOM, _PLOT_LEFT = 14, 140, 28

_STYLE = f"""
*{{box-sizing:border-box}}
body{{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1b1b1b;background:#f4f5f7}}
main{{max-width:760px;margin:0 auto;padding:16px}}
h1{{font-size:1.4rem;margin:0 0 2px}}
h2{{font-size:1.1rem;margin:0 0 10px}}
.period{{color:#555;margin:0 0 16px}}
section{{background:#fff;border-radius:12px;padding:14px;margin:0 0 14px;
box-shadow:0 1px 2px rgba(0,0,0,.08)}}
.tiles{{display:grid;grid-template-columns:repeat(2,1fr);gap:10px;margin:0 0 14px}}
@media (min-width:600px){{.tiles{{grid-template-columns:repeat(4,1fr)}}}}
.tile{{background:#fff;border-radius:12px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}}
.tile b{{display:block;font-size:1.6rem;line-height:1.2}}
.tile span{{color:#555;font-size:.9rem}}
.missed b{{color:{MISSED_COLOUR}}} .answered b{{color:{ANSWERED_COLOUR}}}
.callback{{border-left:6px solid {MISSED_COLOUR}}}
.callback.none{{border-left-color:{ANSWERED_COLOUR}}}
ul.people{{list-style:none;margin:0;padding:0}}
ul.people li{{display:flex;justify-content:space-between;gap:10px;padding:10px 0;
border-top:1px solid #e4e4e4}}
ul.people li:first-child{{border-top:0}}
.who{{min-width:0;flex:1;overflow-wrap:anywhere}}
.who a{{color:#0b57d0;font-weight:600;text-decoration:none;white-space:nowrap}}
.who small{{color:#555}}
.when{{color:#555;font-size:.9rem;text-align:right;white-space:nowrap}}
.count{{color:{MISSED_COLOUR};font-weight:600}}
svg{{display:block;width:100%;height:auto}}
.legend{{font-size:.9rem;color:#555;margin:6px 0 0}}
.key{{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin:0 4px 0 10px;
vertical-align:-1px}}
.note{{color:#555;font-size:.9rem;margin:8px 0 0}}
"""


def render(figures: Figures, title: str = "Calls") -> str:
    """The whole page."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body><main>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="period">{escape(period(figures))}</p>',
        _callback_section(figures),
        _tiles(figures),
        _days_section(figures),
        _hours_section(figures),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def period(figures: Figures) -> str:
    zone = figures.timezone
    since = figures.since.astimezone(zone)
    until = figures.until.astimezone(zone)
    return f"{since:%d %b %Y, %H:%M} to {until:%d %b %Y, %H:%M} ({zone})"


def _callback_section(figures: Figures) -> str:
    people = figures.awaiting_callback
    if not people:
        return (
            '<section class="callback none"><h2>Nobody is waiting for a call back</h2>'
            '<p class="note">Every missed call in this period was answered, called back or '
            "messaged afterwards.</p></section>"
        )
    calls = sum(person.missed for person in people)
    heading = (
        f"Call back: {len(people)} {_plural(len(people), 'person', 'people')} "
        f"({calls} missed {_plural(calls, 'call', 'calls')})"
    )
    items = "".join(_person(person, figures) for person in people)
    return (
        f'<section class="callback"><h2>{escape(heading)}</h2>'
        f'<ul class="people">{items}</ul>'
        '<p class="note">Waiting longest first. Tap a number to open the chat in WhatsApp.</p>'
        "</section>"
    )


def _person(person: Waiting, figures: Figures) -> str:
    number = person.phone or person.chat_id
    if person.phone:
        link = f'<a href="https://wa.me/{escape(person.phone[1:])}">{escape(person.phone)}</a>'
    else:  # a lid or other id: WhatsApp shows no number for it
        link = f"<small>no phone number ({escape(number)})</small>"
    name = f"{escape(person.caller_name)}<br>" if person.caller_name else ""
    missed = f"{person.missed} missed {_plural(person.missed, 'call', 'calls')}"
    since = _when(person.oldest_missed_at, figures)
    return (
        f'<li><div class="who">{name}{link}</div>'
        f'<div class="when"><span class="count">{escape(missed)}</span><br>'
        f"since {escape(since)}</div></li>"
    )


def _when(at: datetime, figures: Figures) -> str:
    local = at.astimezone(figures.timezone)
    return f"{local:%a %d %b, %H:%M}"


def _tiles(figures: Figures) -> str:
    rate = "none" if figures.missed_rate is None else f"{figures.missed_rate:.0%} of calls"
    median = _seconds(figures.answer_seconds_median)
    p90 = _seconds(figures.answer_seconds_p90)
    tiles = [
        ("", str(figures.total), "calls"),
        ("answered", str(figures.answered), "answered"),
        ("missed", str(figures.missed), f"missed ({rate})"),
        ("", median, f"typical time to answer; 9 in 10 within {p90}"),
    ]
    cells = "".join(
        f'<div class="tile {kind}"><b>{escape(value)}</b><span>{escape(text)}</span></div>'
        for kind, value, text in tiles
    )
    return f'<div class="tiles">{cells}</div>'


def _seconds(value: float | None) -> str:
    if value is None:
        return "none"
    if value < 60:
        return f"{value:.0f} s"
    return f"{value // 60:.0f} min {value % 60:.0f} s"


def _days_section(figures: Figures) -> str:
    days = list(figures.by_day.items())
    top = _nice_top(max((count.answered + count.missed for _, count in days), default=0))
    slot = (_CHART_WIDTH - _PLOT_LEFT) / max(len(days), 1)
    bar = slot * 0.7
    every = max(1, round(len(days) / 10))  # at most about ten date labels
    shapes = [_axis(top)]
    for index, (day, count) in enumerate(days):
        x = _PLOT_LEFT + index * slot + (slot - bar) / 2
        answered_height = _height(count.answered, top)
        missed_height = _height(count.missed, top)
        y_answered = _PLOT_BOTTOM - answered_height
        shapes.append(
            f'<rect x="{x:.1f}" y="{y_answered:.1f}" width="{bar:.1f}" '
            f'height="{answered_height:.1f}" fill="{ANSWERED_COLOUR}">'
            f"<title>{day:%d %b}: {count.answered} answered</title></rect>"
        )
        shapes.append(
            f'<rect x="{x:.1f}" y="{y_answered - missed_height:.1f}" width="{bar:.1f}" '
            f'height="{missed_height:.1f}" fill="{MISSED_COLOUR}">'
            f"<title>{day:%d %b}: {count.missed} missed</title></rect>"
        )
        if index % every == 0:
            shapes.append(_label(x + bar / 2, f"{day:%d %b}" if len(days) <= 10 else f"{day:%d}"))
    legend = (
        f'<p class="legend"><span class="key" style="background:{ANSWERED_COLOUR}"></span>'
        f'answered<span class="key" style="background:{MISSED_COLOUR}"></span>missed</p>'
    )
    return (
        f"<section><h2>Calls per day</h2>{_svg(shapes, 'Answered and missed calls per day')}"
        f"{legend}</section>"
    )


def _hours_section(figures: Figures) -> str:
    hours = figures.by_hour
    top = _nice_top(max(hours.values(), default=0))
    slot = (_CHART_WIDTH - _PLOT_LEFT) / 24
    bar = slot * 0.7
    shapes = [_axis(top)]
    for hour, calls in hours.items():
        x = _PLOT_LEFT + hour * slot + (slot - bar) / 2
        height = _height(calls, top)
        shapes.append(
            f'<rect x="{x:.1f}" y="{_PLOT_BOTTOM - height:.1f}" width="{bar:.1f}" '
            f'height="{height:.1f}" fill="{HOUR_COLOUR}">'
            f"<title>{hour:02d}:00-{hour:02d}:59: {calls} calls</title></rect>"
        )
        if hour % 3 == 0:
            shapes.append(_label(x + bar / 2, f"{hour:02d}"))
    note = '<p class="note">When people call: all calls of the period by hour of the day.</p>'
    return (
        f"<section><h2>Calls by hour</h2>{_svg(shapes, 'Calls by hour of the day')}{note}</section>"
    )


def _svg(shapes: list[str], label: str) -> str:
    return (
        f'<svg viewBox="0 0 {_CHART_WIDTH} {_CHART_HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" '
        'font-family="system-ui,sans-serif" font-size="10" fill="#555">'
        + "".join(shapes)
        + "</svg>"
    )


def _axis(top: int) -> str:
    """Baseline, a middle and a top grid line with their values."""
    lines = []
    for value in (0, top // 2, top) if top >= 2 else (0, top):
        y = _PLOT_BOTTOM - _height(value, top)
        lines.append(
            f'<line x1="{_PLOT_LEFT}" x2="{_CHART_WIDTH}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{_PLOT_LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{value}</text>'
        )
    return "".join(lines)


def _label(x: float, text: str) -> str:
    return f'<text x="{x:.1f}" y="{_PLOT_BOTTOM + 14}" text-anchor="middle">{escape(text)}</text>'


def _height(value: int, top: int) -> float:
    return 0.0 if top == 0 else value / top * (_PLOT_BOTTOM - _PLOT_TOP)


def _nice_top(largest: int) -> int:
    """An even axis top at or above `largest` (2 for an empty chart, so the axis still shows)."""
    return max(2, largest + largest % 2)


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many
