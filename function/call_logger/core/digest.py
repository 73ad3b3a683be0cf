"""The daily digest's day and text. Pure.

"Calls yesterday: 14, answered 10, missed 4. Waiting for a call back: Ivan Petrov +79001234567
(2 missed, since 16:40), … and 3 more."
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from call_logger.core import dates
from call_logger.core.report import Figures, Waiting
from call_logger.core.sla import Callbacks

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
    sla = _callbacks(figures.callbacks)
    waiting = figures.awaiting_callback
    if not waiting:
        return f"{calls}{sla} Nobody is waiting for a call back."
    late = {wait.chat_id for wait in figures.callbacks.past_target}
    target = dates.duration(figures.callbacks.target.total_seconds())
    named = ", ".join(
        _person(person, figures.timezone, day, target if person.chat_id in late else None)
        for person in waiting[:max_named]
    )
    return f"{calls}{sla} Waiting for a call back: {named}{_more(waiting, max_named)}."


def _callbacks(found: Callbacks) -> str:
    """' Called back within 1 h: 3 of 4 (typically after 25 min); 1 called again first.', or
    '' when no missed caller's wait is decided."""
    parts = []
    if found.decided:
        target = dates.duration(found.target.total_seconds())
        typically = (
            f" (typically after {dates.duration(found.seconds_median)})"
            if found.seconds_median is not None
            else ""
        )
        parts.append(
            f"Called back within {target}: {found.within_target} of {found.decided}{typically}"
        )
    if found.called_again_first:
        parts.append(f"{found.called_again_first} called again before a call back")
    return f" {'; '.join(parts)}." if parts else ""


def _person(person: Waiting, zone: tzinfo, day: date, past_target: str | None) -> str:
    """'Ivan Petrov +79001234567 (2 missed, since 16:40, past the 1 h target)'."""
    who = " ".join(part for part in (person.caller_name, person.phone) if part) or person.chat_id
    since = dates.short_moment(person.oldest_missed_at, zone, day)
    late = f", past the {past_target} target" if past_target else ""
    return f"{who} ({person.missed} missed, since {since}{late})"


def _more(named: Sequence[object], max_named: int) -> str:
    rest = len(named) - max_named
    return f" and {rest} more" if rest > 0 else ""
