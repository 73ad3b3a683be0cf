"""Opening hours such as `mon-fri 09:00-18:00, sat 10:00-14:00`, in a time zone. Pure.

Each comma-separated entry is a day or a range of days (`fri-mon` wraps over the weekend) and one
range of local times, `HH:MM-HH:MM` with the end after the start (`24:00` ends at midnight); days
named in no entry are closed. Local time comes from the IANA zone, so daylight saving is followed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EXAMPLE = "mon-fri 09:00-18:00, sat 10:00-14:00"
FORMAT = (
    f"a comma-separated list such as {EXAMPLE!r}: a day or range of days "
    f"({', '.join(DAYS)}), then HH:MM-HH:MM in 24-hour local time, the end after the start"
)

_ENTRY = re.compile(r"^([a-z]{3})(?:-([a-z]{3}))?\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class BusinessHours:
    # weekday (0 = Monday) -> open intervals as (first minute, minute after the last) of the day
    open: Mapping[int, tuple[tuple[int, int], ...]]

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """Raises ValueError saying what is wrong with `text`."""
        open_: dict[int, list[tuple[int, int]]] = {}
        entries = [entry.strip() for entry in text.lower().split(",")]
        for entry in entries:
            match = _ENTRY.match(re.sub(r"\s+", " ", entry))
            if match is None:
                raise ValueError(f"{entry!r} is not DAYS HH:MM-HH:MM")
            first, last, start_h, start_m, end_h, end_m = match.groups()
            start = _minute(start_h, start_m, entry)
            end = _minute(end_h, end_m, entry)
            if end <= start:
                raise ValueError(f"in {entry!r} the end is not after the start")
            for day in _days(first, last or first, entry):
                open_.setdefault(day, []).append((start, end))
        return cls({day: tuple(sorted(spans)) for day, spans in open_.items()})

    def is_open(self, moment: datetime, zone: tzinfo) -> bool:
        """Whether `moment` (an aware datetime) falls in these hours, in local time of `zone`."""
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.open.get(local.weekday(), ()))


def _minute(hours: str, minutes: str, entry: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > MINUTES_PER_DAY:
        raise ValueError(f"{hours}:{minutes} in {entry!r} is not a time of day")
    return value


def _days(first: str, last: str, entry: str) -> list[int]:
    for day in (first, last):
        if day not in DAYS:
            raise ValueError(f"{day!r} in {entry!r} is not one of {', '.join(DAYS)}")
    start, end = DAYS.index(first), DAYS.index(last)
    return [(start + offset) % 7 for offset in range((end - start) % 7 + 1)]
