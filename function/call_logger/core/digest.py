"""The daily digest's day and text. Pure.

"Calls yesterday: 14, answered 10, missed 4. Waiting for a call back: Ivan Petrov +79001234567
(2 missed, since 16:40), … and 3 more."
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from call_logger.core.report import Figures, Waiting

# People named in one message; the rest are counted ("and N more").
MAX_NAMED = 10


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first and the last instant of `day` in `zone` (a day may have 23 or 25 hours)."""
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start, end - timedelta(microseconds=1)


def yesterday(now: datetime, zone: tzinfo) -> date:
    return now.astimezone(zone).date() - timedelta(days=1)


def due(now: datetime, at: time | None, zone: tzinfo) -> date | None:
    """The day whose digest a scheduled run at `now` should send: yesterday, once DIGEST_TIME
    (`at`, local) has passed today; None before then or when the digest is off. A run that
    repeats later the same day names the same day again (storage remembers it was sent)."""
    if at is None:
        return None
    local = now.astimezone(zone)
    return yesterday(now, zone) if local.time() >= at else None


def text(figures: Figures, day: date, today: date, max_named: int = MAX_NAMED) -> str:
    when = "yesterday" if day == today - timedelta(days=1) else f"on {day.isoformat()}"
    if figures.total == 0:
        calls = f"No calls {when}."
    else:
        calls = (
            f"Calls {when}: {figures.total}, answered {figures.answered}, missed {figures.missed}."
        )
    waiting = figures.awaiting_callback
    if not waiting:
        return f"{calls} Nobody is waiting for a call back."
    named = ", ".join(_person(person, figures.timezone, day) for person in waiting[:max_named])
    rest = len(waiting) - max_named
    more = f" and {rest} more" if rest > 0 else ""
    return f"{calls} Waiting for a call back: {named}{more}."


def _person(person: Waiting, zone: tzinfo, day: date) -> str:
    who = " ".join(part for part in (person.caller_name, person.phone) if part) or person.chat_id
    oldest = person.oldest_missed_at.astimezone(zone)
    since = f"{oldest:%H:%M}" if oldest.date() == day else f"{oldest:%d %b %H:%M}"
    return f"{who} ({person.missed} missed, since {since})"
