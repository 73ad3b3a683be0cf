"""Dates as a person reads them, without guessing the month or the year. Pure.

A date carries its year whenever the year is not the current one ("Tue 25 Nov 2025, 16:00",
"since 25 Nov 2025 16:00"); a chart's labels are "3 Mar" (days, weeks: a week is named by its
Monday), "Mar 2026" (months) or "2026" (years), and a day or week chart shows the year under
its first label and under the first label of each new year.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from call_logger.core.buckets import Unit


def day_month(day: date, this_year: int) -> str:
    """'3 Mar', or '3 Mar 2025' outside this year."""
    text = f"{day.day} {day:%b}"
    return text if day.year == this_year else f"{text} {day.year}"


def moment(at: datetime, zone: tzinfo, this_year: int) -> str:
    """'Wed 25 Nov, 13:00', or 'Wed 25 Nov 2025, 13:00' outside this year."""
    local = at.astimezone(zone)
    return f"{local:%a} {day_month(local.date(), this_year)}, {local:%H:%M}"


def short_moment(at: datetime, zone: tzinfo, day: date) -> str:
    """'16:40' on `day`, else '24 Nov 16:40' ('24 Nov 2025 16:40' outside `day`'s year)."""
    local = at.astimezone(zone)
    if local.date() == day:
        return f"{local:%H:%M}"
    return f"{day_month(local.date(), day.year)} {local:%H:%M}"


def label(start: date, unit: Unit) -> str:
    """A bucket's axis label: '3 Mar' (a day, or the week starting that Monday), 'Mar 2026',
    '2026'."""
    if unit == "month":
        return f"{start:%b %Y}"
    if unit == "year":
        return str(start.year)
    return f"{start.day} {start:%b}"


def long_label(start: date, unit: Unit) -> str:
    """A bucket said in full, for a bar's tooltip: 'Tue 3 Mar 2026', 'Week of 2 Mar 2026'."""
    if unit == "day":
        return f"{start:%a} {start.day} {start:%b %Y}"
    if unit == "week":
        return f"Week of {start.day} {start:%b %Y}"
    return label(start, unit)


def duration(seconds: float) -> str:
    """'45 s', '1 min 30 s', '25 min', '1 h', '1 h 30 min'."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
