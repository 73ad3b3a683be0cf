"""The call report's figures for a window, from record and chat fields as the stores return them.

Pure: no I/O. One call is one incoming record with a final status (every status but `offer`):
`answered` is `pickUp`, `missed` every other final status, so total = answered + missed, and the
per-day and per-hour counts add up to the total. Outgoing-call records (`direction: outgoing`) are
no calls *to* the business; they only count as call-backs.

A chat waits for a call back while it has missed calls newer than everything that handles them:
an answered incoming call, an answered outgoing call or (with CALLBACK_BY_MESSAGE) an outgoing
message. Those times come from the chat summary (lastAnsweredAt, lastOutgoingCallAt,
lastOutgoingMessageAt, kept by the service) and from the answered records in the window, so a
summary written before call-back tracking existed still gives the right list.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from call_logger.core import buckets, people, sla
from call_logger.core.journal import Matching, answered_twice
from call_logger.core.notification import phone_of
from call_logger.core.record_view import Chats, Fields, chat_key, is_incoming, percentile

ANSWERED = "pickUp"
RINGING = "offer"
JOURNAL = "journal"  # a record only `reconcile` found: its eventAt is when the call ENDED
# The chat-summary times after which a missed call counts as handled.
HANDLED_FIELDS = ("lastAnsweredAt", "lastOutgoingCallAt", "lastOutgoingMessageAt")
# An offer and a pickUp without a shared idMessage are one call when this close in one chat
# (GREEN-API does not say that both carry the same idMessage; WhatsApp rings for about a minute).
ANSWER_MATCH_WINDOW = timedelta(minutes=2)
KEYS = (
    "total",
    "answered",
    "missed",
    "missed_rate",
    "answer_seconds_median",
    "answer_seconds_p90",
    "awaiting_callback",
    "by_day",
    "by_hour",
    *sla.KEYS,
    "series",
)


@dataclass(frozen=True)
class Waiting:
    """A chat with missed calls that nobody has answered since."""

    chat_id: str
    phone: str | None
    caller_name: str | None
    missed: int
    oldest_missed_at: datetime
    newest_missed_at: datetime


@dataclass(frozen=True)
class DayCount:
    answered: int
    missed: int


@dataclass(frozen=True)
class Figures:
    since: datetime
    until: datetime
    timezone: tzinfo
    total: int
    answered: int
    missed: int
    missed_rate: float | None  # None: no calls
    answer_seconds_median: float | None  # None: no answered call with a known ring time
    answer_seconds_p90: float | None
    awaiting_callback: list[Waiting]  # oldest missed call first
    by_day: dict[date, DayCount]  # every day of the window, in `timezone`
    by_hour: dict[int, int]  # 0-23, in `timezone`
    callbacks: sla.Callbacks = field(default_factory=sla.Callbacks)

    def series(self) -> tuple[buckets.Unit, list[tuple[buckets.Bucket, tuple[int, ...]]]]:
        """The time chart's buckets (the span picks the unit) with their (answered, missed,
        called back within the target, past it) counts."""
        first = self.since.astimezone(self.timezone).date()
        last = self.until.astimezone(self.timezone).date()
        unit = buckets.unit_for(first, last)
        chosen = buckets.buckets(first, last, unit)
        per_day = {
            day: (count.answered, count.missed, *self.callbacks.by_day.get(day, (0, 0)))
            for day, count in self.by_day.items()
        }
        return unit, list(zip(chosen, buckets.totals(per_day, chosen, unit), strict=True))

    def as_dict(self) -> dict[str, Any]:
        """The figures under KEYS, JSON-ready: times in ISO 8601 with the report's offset."""
        return {
            "total": self.total,
            "answered": self.answered,
            "missed": self.missed,
            "missed_rate": self.missed_rate,
            "answer_seconds_median": self.answer_seconds_median,
            "answer_seconds_p90": self.answer_seconds_p90,
            "awaiting_callback": [
                {
                    "chatId": chat.chat_id,
                    "phone": chat.phone,
                    "callerName": chat.caller_name,
                    "missed": chat.missed,
                    "oldestMissedAt": chat.oldest_missed_at.astimezone(self.timezone).isoformat(),
                    "newestMissedAt": chat.newest_missed_at.astimezone(self.timezone).isoformat(),
                }
                for chat in self.awaiting_callback
            ],
            "by_day": {
                day.isoformat(): {"answered": count.answered, "missed": count.missed}
                for day, count in self.by_day.items()
            },
            "by_hour": {str(hour): calls for hour, calls in self.by_hour.items()},
            **sla.as_dict(self.callbacks, self.timezone),
            "series": self._series_dict(),
        }

    def _series_dict(self) -> dict[str, Any]:
        unit, counted = self.series()
        names = ("answered", "missed", "callbacks_within_target", "callbacks_past_target")
        return {
            "unit": unit,
            "buckets": [
                {"start": bucket.start.isoformat(), "first": bucket.first.isoformat()}
                | {"last": bucket.last.isoformat()}
                | dict(zip(names, counts, strict=True))
                for bucket, counts in counted
            ],
        }


def compute(
    records: Iterable[Fields],
    chats: Chats,
    since: datetime,
    until: datetime,
    timezone: tzinfo,
    callback_target: timedelta = sla.DEFAULT_TARGET,
    as_of: datetime | None = None,
    matching: Matching | None = None,
) -> Figures:
    """Figures for records with since <= eventAt <= until; `chats` by chat_key (may lack some).
    Call-backs are counted up to `as_of` (default `until`; records after `until` may be given
    for them). With `matching` (reconcile's rule), a call recorded by its webhook and again by
    reconcile counts once."""
    records = list(records)
    as_of = as_of or until
    if matching is not None:
        twice = answered_twice(records, matching)
        records = [fields for index, fields in enumerate(records) if index not in twice]
    records, chats = people.as_people(records, chats)
    in_window = [
        fields
        for fields in records
        if isinstance(fields.get("eventAt"), datetime) and since <= fields["eventAt"] <= until
    ]
    incoming = [fields for fields in in_window if is_incoming(fields)]
    finals = [fields for fields in incoming if fields.get("status") != RINGING]
    answered = [fields for fields in finals if fields.get("status") == ANSWERED]
    missed = [fields for fields in finals if fields.get("status") != ANSWERED]
    waits = answer_seconds(incoming)
    return Figures(
        since=since,
        until=until,
        timezone=timezone,
        total=len(finals),
        answered=len(answered),
        missed=len(missed),
        missed_rate=round(len(missed) / len(finals), 4) if finals else None,
        answer_seconds_median=_round(statistics.median(waits)) if waits else None,
        answer_seconds_p90=_round(percentile(waits, 0.9)) if waits else None,
        awaiting_callback=awaiting(in_window, chats),
        by_day=_by_day(finals, since, until, timezone),
        by_hour=_by_hour(finals, timezone),
        callbacks=sla.figures(
            sla.waits(records, chats, since, until, as_of), callback_target, as_of, timezone
        ),
    )


def answer_seconds(incoming: Iterable[Fields]) -> list[float]:
    """Seconds from ring (offer) to answer (pickUp) for each answered call whose offer is known:
    the offer with the same idMessage, else the chat's latest unmatched offer shortly before.
    A pickUp from the journal holds the call's end, so its answer time is unknown."""
    offers: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    pickups = []
    for fields in incoming:
        if fields.get("status") == RINGING:
            offers[chat_key(fields)].append(fields)
        elif fields.get("status") == ANSWERED and fields.get("source") != JOURNAL:
            pickups.append(fields)  # a journal record's eventAt is the call's end, no answer
    used: set[int] = set()
    waits = []
    for pickup in sorted(pickups, key=lambda fields: fields["eventAt"]):
        candidates = [
            offer
            for offer in offers[chat_key(pickup)]
            if id(offer) not in used
            and timedelta(0) <= pickup["eventAt"] - offer["eventAt"] <= ANSWER_MATCH_WINDOW
        ]
        same_call = [offer for offer in candidates if offer.get("callId") == pickup.get("callId")]
        chosen = same_call or sorted(candidates, key=lambda offer: offer["eventAt"])[-1:]
        if chosen:
            used.add(id(chosen[0]))
            waits.append((pickup["eventAt"] - chosen[0]["eventAt"]).total_seconds())
    return waits


def awaiting(records: Iterable[Fields], chats: Chats) -> list[Waiting]:
    """Chats whose missed calls in `records` are newer than every call-back, oldest first."""
    handled_at: dict[str, datetime] = {}
    missed_by_chat: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for fields in records:
        key = chat_key(fields)
        status = fields.get("status")
        if status == ANSWERED:  # an answered call either way handles what was missed before
            handled_at[key] = max(fields["eventAt"], handled_at.get(key, fields["eventAt"]))
        elif status != RINGING and is_incoming(fields):
            missed_by_chat[key].append(fields)
    waiting = []
    for key, missed in missed_by_chat.items():
        summary = chats.get(key, {})
        times = [summary.get(name) for name in HANDLED_FIELDS] + [handled_at.get(key)]
        last_handled = max((at for at in times if isinstance(at, datetime)), default=None)
        open_calls = sorted(
            (
                fields
                for fields in missed
                if last_handled is None or fields["eventAt"] > last_handled
            ),
            key=lambda fields: fields["eventAt"],
        )
        if not open_calls:
            continue
        chat_id = str(open_calls[-1].get("chatId", ""))
        waiting.append(
            Waiting(
                chat_id=chat_id,
                phone=phone_of(chat_id),
                caller_name=summary.get("callerName") or _latest_name(open_calls),
                missed=len(open_calls),
                oldest_missed_at=open_calls[0]["eventAt"],
                newest_missed_at=open_calls[-1]["eventAt"],
            )
        )
    return sorted(waiting, key=lambda chat: (chat.oldest_missed_at, chat.chat_id))


def _latest_name(records: list[Mapping[str, Any]]) -> str | None:
    names = [fields.get("callerName") for fields in records if fields.get("callerName")]
    return str(names[-1]) if names else None


def _by_day(
    finals: list[Mapping[str, Any]], since: datetime, until: datetime, timezone: tzinfo
) -> dict[date, DayCount]:
    answered: dict[date, int] = defaultdict(int)
    missed: dict[date, int] = defaultdict(int)
    for fields in finals:
        day = fields["eventAt"].astimezone(timezone).date()
        if fields.get("status") == ANSWERED:
            answered[day] += 1
        else:
            missed[day] += 1
    first, last = since.astimezone(timezone).date(), until.astimezone(timezone).date()
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return {day: DayCount(answered[day], missed[day]) for day in days}


def _by_hour(finals: list[Mapping[str, Any]], timezone: tzinfo) -> dict[int, int]:
    hours = dict.fromkeys(range(24), 0)
    for fields in finals:
        hours[fields["eventAt"].astimezone(timezone).hour] += 1
    return hours


def _round(seconds: float) -> float:
    return round(seconds, 1)
