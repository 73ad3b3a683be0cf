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
