"""The call report as one self-contained HTML page: figures, two inline SVG charts and the people
to call back. Pure (a string from Figures); no script, no external file, nothing from a network.

Written for a shop owner on a phone: who to call back comes first, in plain words, and every
chart scales to the screen's width (SVG viewBox, no fixed pixel widths).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from call_logger.core import buckets, charts, dates
from call_logger.core.buckets import Bucket, Unit
from call_logger.core.charts import Bar, Series
from call_logger.core.report import Figures, Waiting

ANSWERED_COLOUR = "#2e7d32"
MISSED_COLOUR = "#c62828"
HOUR_COLOUR = "#1565c0"

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
        _calls_section(figures),
        _callbacks_section(figures),
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
    return dates.moment(at, figures.timezone, figures.until.astimezone(figures.timezone).year)


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
    return "none" if value is None else dates.duration(value)


def _calls_section(figures: Figures) -> str:
    unit, counted = figures.series()
    bars = _bars(figures, unit, [(bucket, counts[:2]) for bucket, counts in counted])
    series = (Series("answered", ANSWERED_COLOUR), Series("missed", MISSED_COLOUR))
    chart = charts.stacked(
        bars, series, f"Answered and missed calls per {unit}", _ticks(bars, counted, unit)
    )
    ends = [
        name
        for name, (bucket, _) in (("first", counted[0]), ("last", counted[-1]))
        if unit != "day" and buckets.is_partial(bucket, unit)
    ]
    note = (
        f'<p class="note">The {" and the ".join(ends)} {unit} {"are" if len(ends) > 1 else "is"} '
        "only partly in this period.</p>"
        if ends
        else ""
    )
    return f"<section><h2>Calls per {unit}</h2>{chart}{_legend(series)}{note}</section>"


def _callbacks_section(figures: Figures) -> str:
    found = figures.callbacks
    unit, counted = figures.series()
    bars = _bars(figures, unit, [(bucket, counts[2:]) for bucket, counts in counted])
    target = _seconds(found.target.total_seconds())
    series = (
        Series(f"called back within {target}", ANSWERED_COLOUR),
        Series("later, or still waiting past it", MISSED_COLOUR),
    )
    chart = charts.stacked(
        bars,
        series,
        f"Call-backs within and past the target per {unit}",
        _ticks(bars, counted, unit),
    )
    if found.within_target_rate is None:
        summary = f"No missed caller has waited {target} or been called back yet in this period."
    else:
        summary = f"Called back within {target}: {found.within_target_rate:.0%} " + (
            f"({found.within_target} of {found.decided})."
        )
    if found.seconds_median is not None:
        summary += (
            f" Typically after {_seconds(found.seconds_median)}; "
            f"9 in 10 within {_seconds(found.seconds_p90)}."
        )
    summary += f" Called again by themselves before a call back: {found.called_again_first}."
    return (
        f"<section><h2>Call-backs per {unit}</h2>{chart}{_legend(series)}"
        f'<p class="note">{escape(summary)} Counted on the day of the missed call.</p></section>'
    )


def _bars(figures: Figures, unit: Unit, counted: list[tuple[Bucket, tuple[int, ...]]]) -> list[Bar]:
    """The buckets' bars; a day or week chart that reaches out of this year names its years
    (month and year labels carry theirs)."""
    this_year = figures.until.astimezone(figures.timezone).year
    named = unit in ("day", "week") and any(b.start.year != this_year for b, _ in counted)
    return [
        Bar(
            dates.label(bucket.start, unit),
            dates.long_label(bucket.start, unit),
            parts,
            bucket.start.year if named else None,
        )
        for bucket, parts in counted
    ]


def _ticks(
    bars: list[Bar], counted: list[tuple[Bucket, tuple[int, ...]]], unit: Unit
) -> list[bool]:
    """The bars to label: as often as the labels fit, on calendar marks."""
    starts = [bucket.start for bucket, _ in counted]
    return buckets.ticks(starts, unit, charts.label_step(bars))


def _legend(series: tuple[Series, ...]) -> str:
    keys = "".join(
        f'<span class="key" style="background:{part.colour}"></span>{escape(part.name)}'
        for part in series
    )
    return f'<p class="legend">{keys}</p>'


def _hours_section(figures: Figures) -> str:
    bars = [
        Bar(f"{hour:02d}", f"{hour:02d}:00-{hour:02d}:59", (calls,))
        for hour, calls in figures.by_hour.items()
    ]
    every_third = [hour % 3 == 0 for hour in figures.by_hour]
    chart = charts.stacked(
        bars, (Series("calls", HOUR_COLOUR),), "Calls by hour of the day", every_third
    )
    note = '<p class="note">When people call: all calls of the period by hour of the day.</p>'
    return f"<section><h2>Calls by hour</h2>{chart}{note}</section>"


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many
