"""The time chart's buckets: days, ISO weeks, months or years, picked from the span. Pure.

A chart of a year in days is 365 hairlines nobody can read, so the span picks the bucket: days
up to about two months, weeks (ISO, starting Monday, in the report's TIMEZONE) up to about a
year, months beyond and years past five years: never more than about 60 bars. A bucket is named
by its first day; the window's first and last buckets may be partial (`first`/`last` say what
of them lies in the window).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Unit = Literal["day", "week", "month", "year"]
# The label steps a person counts in: a day, two, a week, two weeks, four; a month, a quarter,
# half a year, a year; ...
STEPS = {
    "day": (1, 2, 7, 14, 28),
    "week": (1, 2, 4, 13, 26),
    "month": (1, 2, 3, 6, 12),
    "year": (1, 2, 5, 10, 20),
}
# The most buckets of each unit before the next, coarser one is taken: two months of days,
# the 53 or 54 ISO weeks a year touches, five years of months.
MOST = {"day": 62, "week": 54, "month": 60}


@dataclass(frozen=True)
class Bucket:
    start: date  # the bucket's first day (a Monday for a week, the 1st for a month)
    first: date  # its first day within the window
    last: date  # its last day within the window


def is_partial(bucket: Bucket, unit: Unit) -> bool:
    """Whether the window holds only some of the bucket's days."""
    whole_last = next_start(bucket.start, unit) - timedelta(days=1)
    return bucket.first > bucket.start or bucket.last < whole_last


def unit_for(first: date, last: date) -> Unit:
    """The finest unit that draws the local days first..last in at most MOST bars."""
    for unit in ("day", "week", "month"):
        if len(starts(first, last, unit)) <= MOST[unit]:
            return unit
    return "year"


def start_of(day: date, unit: Unit) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


def next_start(start: date, unit: Unit) -> date:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    if unit == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def starts(first: date, last: date, unit: Unit) -> list[date]:
    """The first day of every bucket that holds a day of first..last."""
    found, start = [], start_of(first, unit)
    while start <= last:
        found.append(start)
        start = next_start(start, unit)
    return found


def buckets(first: date, last: date, unit: Unit) -> list[Bucket]:
    return [
        Bucket(start, max(start, first), min(next_start(start, unit) - timedelta(days=1), last))
        for start in starts(first, last, unit)
    ]


def totals(
    per_day: Mapping[date, Sequence[int]], chosen: Sequence[Bucket], unit: Unit
) -> list[tuple[int, ...]]:
    """Each bucket's sums of the days' counts (every day's sequence of the same length)."""
    width = len(next(iter(per_day.values()), ()))
    sums = {bucket.start: [0] * width for bucket in chosen}
    for day, counts in per_day.items():
        row = sums.get(start_of(day, unit))
        if row is not None:
            for index, count in enumerate(counts):
                row[index] += count
    return [tuple(sums[bucket.start]) for bucket in chosen]


def ticks(starts: Sequence[date], unit: Unit, at_least: int) -> list[bool]:
    """Which buckets to label, at least `at_least` apart: every n-th (n the first of STEPS at or
    above it), on calendar marks where the step allows (Mondays for weeks of days, the first
    month of a quarter or a half year, a year divisible by the step)."""
    step = next((n for n in STEPS[unit] if n >= at_least), at_least)
    if unit == "day" and step % 7 == 0:
        monday = next((day for day in starts if day.weekday() == 0), None)
        return [
            monday is not None and day >= monday and (day - monday).days % step == 0
            for day in starts
        ]
    if unit == "month" and 12 % step == 0:
        return [(start.month - 1) % step == 0 for start in starts]
    if unit == "year":
        return [start.year % step == 0 for start in starts]
    return [index % step == 0 for index in range(len(starts))]
