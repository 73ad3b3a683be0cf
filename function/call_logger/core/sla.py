"""The call-back SLA: how long missed callers wait until the business calls or writes back. Pure.

A wait starts at a chat's missed call in the window (the first of a run of missed calls: the
caller who tries three times waits from the first try) and ends at the first thing after it
that handles it:
- a call-back by the business: an answered outgoing call, or (with CALLBACK_BY_MESSAGE) an
  outgoing message (the chat summary's lastOutgoingMessageAt, lastOutgoingCallAt); or
- the caller calling again and being answered (an answered incoming call, lastAnsweredAt): they
  "called again by themselves before anyone called back", counted apart and in no other figure.
Handling up to `as_of` counts (a call missed late yesterday and called back this morning is
called back in this morning's digest); a wait still open at `as_of` is past the target once it
is older than CALLBACK_TARGET.

callback_seconds_median/p90 are over the call-backs made; callback_within_target_rate is the
call-backs made within the target over the waits decided: every call-back made plus every wait
still open past the target (an open wait younger than the target is not decided yet).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal

from call_logger.core.notification import phone_of
from call_logger.core.record_view import Chats, Fields, chat_key, is_incoming, percentile
from call_logger.core.write_plan import LAST_ANSWERED, LAST_OUTGOING_CALL, LAST_OUTGOING_MESSAGE

DEFAULT_TARGET = timedelta(hours=1)
# The report's JSON keys for the SLA (as_dict), in order.
KEYS = (
    "callback_target_seconds",
    "callback_seconds_median",
    "callback_seconds_p90",
    "callback_within_target_rate",
    "called_again_before_callback",
    "past_callback_target",
)
_MISSED, _BUSINESS, _CALLER = 0, 1, 2  # at one instant, the missed call first
_HANDLED_BY = {
    LAST_OUTGOING_CALL: _BUSINESS,
    LAST_OUTGOING_MESSAGE: _BUSINESS,
    LAST_ANSWERED: _CALLER,
}


@dataclass(frozen=True)
class Wait:
    """A missed caller's wait for a call back."""

    chat_id: str
    caller_name: str | None
    missed_at: datetime
    ended_at: datetime | None  # None: still waiting at as_of
    ended_by: Literal["business", "caller"] | None

    @property
    def phone(self) -> str | None:
        return phone_of(self.chat_id)


@dataclass(frozen=True)
class Callbacks:
    target: timedelta = DEFAULT_TARGET
    seconds_median: float | None = None  # None: no call-back made
    seconds_p90: float | None = None
    within_target_rate: float | None = None  # None: no wait decided
    within_target: int = 0  # call-backs made within the target
    decided: int = 0  # call-backs made, and waits still open past the target
    called_again_first: int = 0
    past_target: list[Wait] = field(default_factory=list)  # still waiting, oldest first
    # Per local day of the missed call: (called back within the target, past it or still
    # waiting past it).
    by_day: dict[date, tuple[int, int]] = field(default_factory=dict)


def waits(
    records: Iterable[Fields], chats: Chats, since: datetime, until: datetime, as_of: datetime
) -> list[Wait]:
    """Every wait that starts with a missed call in since..until, handled up to as_of."""
    events: dict[str, list[tuple[datetime, int, Mapping[str, Any]]]] = defaultdict(list)
    for fields in records:
        at = fields.get("eventAt")
        if not isinstance(at, datetime) or at > as_of:
            continue
        status, incoming = fields.get("status"), is_incoming(fields)
        if incoming and status not in ("offer", "pickUp") and since <= at <= until:
            events[chat_key(fields)].append((at, _MISSED, fields))
        elif status == "pickUp":
            events[chat_key(fields)].append((at, _CALLER if incoming else _BUSINESS, fields))
    found = []
    for key, happened in events.items():
        summary = chats.get(key, {})
        for name, kind in _HANDLED_BY.items():
            at = summary.get(name)
            if isinstance(at, datetime) and at <= as_of:
                happened.append((at, kind, {}))
        found.extend(_chat_waits(sorted(happened, key=lambda event: event[:2]), summary))
    return sorted(found, key=lambda wait: (wait.missed_at, wait.chat_id))


def _chat_waits(
    happened: list[tuple[datetime, int, Mapping[str, Any]]], summary: Mapping[str, Any]
) -> list[Wait]:
    found, start = [], None
    for at, kind, fields in happened:
        if kind == _MISSED:
            start = start or (at, fields)
        elif start is not None:
            found.append(_wait(start, summary, at, "business" if kind == _BUSINESS else "caller"))
            start = None
    if start is not None:
        found.append(_wait(start, summary, None, None))
    return found


def _wait(
    start: tuple[datetime, Mapping[str, Any]],
    summary: Mapping[str, Any],
    ended_at: datetime | None,
    ended_by: Literal["business", "caller"] | None,
) -> Wait:
    missed_at, fields = start
    name = summary.get("callerName") or fields.get("callerName") or None
    return Wait(str(fields.get("chatId", "")), name, missed_at, ended_at, ended_by)


def figures(found: list[Wait], target: timedelta, as_of: datetime, timezone: tzinfo) -> Callbacks:
    """The SLA figures of `found` (waits()) against `target`."""
    seconds = [
        (wait.ended_at - wait.missed_at).total_seconds()
        for wait in found
        if wait.ended_by == "business" and wait.ended_at is not None
    ]
    limit = target.total_seconds()
    past_target = [
        wait for wait in found if wait.ended_at is None and as_of - wait.missed_at > target
    ]
    by_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for wait in found:
        day = wait.missed_at.astimezone(timezone).date()
        if wait.ended_by == "business" and wait.ended_at is not None:
            by_day[day][(wait.ended_at - wait.missed_at).total_seconds() > limit] += 1
        elif wait in past_target:
            by_day[day][1] += 1
    decided = len(seconds) + len(past_target)
    within = sum(1 for value in seconds if value <= limit)
    return Callbacks(
        target=target,
        seconds_median=round(statistics.median(seconds), 1) if seconds else None,
        seconds_p90=round(percentile(seconds, 0.9), 1) if seconds else None,
        within_target_rate=round(within / decided, 4) if decided else None,
        within_target=within,
        decided=decided,
        called_again_first=sum(1 for wait in found if wait.ended_by == "caller"),
        past_target=past_target,
        by_day={day: (counts[0], counts[1]) for day, counts in sorted(by_day.items())},
    )


def as_dict(callbacks: Callbacks, timezone: tzinfo) -> dict[str, Any]:
    """The SLA keys of the report's JSON."""
    return {
        "callback_target_seconds": callbacks.target.total_seconds(),
        "callback_seconds_median": callbacks.seconds_median,
        "callback_seconds_p90": callbacks.seconds_p90,
        "callback_within_target_rate": callbacks.within_target_rate,
        "called_again_before_callback": callbacks.called_again_first,
        "past_callback_target": [
            {
                "chatId": wait.chat_id,
                "phone": wait.phone,
                "callerName": wait.caller_name,
                "missedAt": wait.missed_at.astimezone(timezone).isoformat(),
            }
            for wait in callbacks.past_target
        ],
    }
