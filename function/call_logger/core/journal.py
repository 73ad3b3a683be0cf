"""GREEN-API's call journal (lastIncomingCalls) against the log: the pure parts of `reconcile`.

A journal entry is turned into the incomingCall body the webhook would have received for the same
final status, so the mode, labels, validation and record layout are exactly the webhook's.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from call_logger.core.envelope import INCOMING_CALL
from call_logger.core.notification import INCOMING, CallNotification
from call_logger.settings.limits import outcome
from call_logger.settings.parse import format_duration

# The counts of a run, in the order people read them (also the --json keys, with dry_run).
COUNTS = ("journal", "already_recorded", "added", "skipped", "rejected")
# lastIncomingCalls returns at most this many entries: a journal this long may be cut off.
JOURNAL_MAX = 10_000


def minutes_covering(since: timedelta) -> int:
    """lastIncomingCalls' `minutes` for a window: whole minutes, rounded up, at least 1."""
    return max(1, math.ceil(since.total_seconds() / 60))


def as_notification(entry: Mapping[str, Any], instance_id: int) -> dict[str, Any]:
    """The incomingCall body the webhook would have received for this journal entry."""
    return {
        "typeWebhook": INCOMING_CALL,
        "instanceData": {"idInstance": instance_id},
        "from": entry.get("chatId"),
        "status": entry.get("status"),
        "timestamp": entry.get("timestamp"),
        "idMessage": entry.get("idMessage"),
    }


# The status of an answered call: its webhook's time is the ANSWER, its journal time the END.
ANSWERED = "pickUp"
JOURNAL_SOURCE = "journal"  # write_plan.Source.JOURNAL: a record whose eventAt is a call's end


@dataclass(frozen=True)
class JournalCall:
    """A journal entry as a call: `duration` in seconds when GREEN-API sends one."""

    call: CallNotification
    duration: float | None = None

    @property
    def end(self) -> datetime:
        return self.call.event_at  # the journal's timestamp is when the call ended


def duration_of(entry: Mapping[str, Any]) -> float | None:
    """The entry's `duration` (seconds) when it is a plausible one, else None (not documented:
    some clients read it, so it is used when present and ignored when odd)."""
    value = entry.get("duration")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < 10**7 else None


@dataclass(frozen=True)
class Matching:
    """When a record can be the same call as a journal entry of the same chat and outcome.

    A record of the webhook (or the poller) holds the time of ITS notification: for `pickUp` the
    moment the call was answered, which lies before the journal's end and no earlier than the
    longest call (`max_call`), or within `window` of end - duration when the entry has one; for
    any other final status the call's end, within `window`. A record reconcile added holds the
    journal's end itself, so it is compared within `window` whatever its status."""

    window: timedelta
    max_call: timedelta

    def span(self, entry: JournalCall) -> tuple[datetime, datetime]:
        """The eventAt range in which a record can be this entry's call (for the query)."""
        end = entry.end
        start = end - self.window
        if outcome(entry.call.status) == ANSWERED:
            answered = end - self.max_call
            if entry.duration is not None:
                answered = end - timedelta(seconds=entry.duration) - self.window
            start = min(start, answered)
        return start, end + self.window

    def distance(self, entry: JournalCall, fields: Mapping[str, Any]) -> float | None:
        """How far (seconds) the record lies from where this call's record would be; None when
        it cannot be this call."""
        status, event_at = fields.get("status"), fields.get("eventAt")
        if not isinstance(status, str) or not isinstance(event_at, datetime):
            return None
        if fields.get("direction", INCOMING) != INCOMING:
            return None  # a call the business made is never one it received
        kind = outcome(entry.call.status)
        if outcome(status) != kind:
            return None
        end, window = entry.end, self.window.total_seconds()
        expected = end
        if kind == ANSWERED and fields.get("source") != JOURNAL_SOURCE:
            if entry.duration is None:
                before = (end - event_at).total_seconds()
                fits = 0 <= before <= self.max_call.total_seconds()
                return before if fits else None
            expected = end - timedelta(seconds=entry.duration)
        apart = abs((event_at - expected).total_seconds())
        return apart if apart <= window else None

    def assign(
        self, entries: Sequence[JournalCall], records: Sequence[Mapping[str, Any]]
    ) -> dict[int, int]:
        """Entry index -> index of the record that answers for it, for one chat: nearest pairs
        first, each record for at most one entry and each entry at most one record, so two calls
        one of whose webhooks was lost keep exactly one match. Ties go to the older entry and the
        older record: the same answer on every run."""
        pairs = []
        for i, entry in enumerate(entries):
            for j, fields in enumerate(records):
                apart = self.distance(entry, fields)
                if apart is not None:
                    pairs.append((apart, entry.end, fields["eventAt"], i, j))
        pairs.sort()
        chosen: dict[int, int] = {}
        taken: set[int] = set()
        for _, _, _, i, j in pairs:
            if i not in chosen and j not in taken:
                chosen[i] = j
                taken.add(j)
        return chosen


def answered_twice(records: Sequence[Mapping[str, Any]], matching: Matching) -> set[int]:
    """Indexes of the records reconcile added (`source: journal`) that a record of the webhook
    or the poller answers for, chat by chat, by the same rule as reconcile: one call recorded
    twice (before RECONCILE_MAX_CALL existed, or its webhook delivered after reconcile ran)."""
    by_chat: dict[tuple[Any, Any], tuple[list[int], list[int]]] = {}
    for index, fields in enumerate(records):
        event_at, status = fields.get("eventAt"), fields.get("status")
        if not isinstance(event_at, datetime) or not isinstance(status, str):
            continue
        if fields.get("direction", INCOMING) != INCOMING or status == "offer":
            continue
        found, others = by_chat.setdefault(
            (fields.get("instanceId"), fields.get("chatId")), ([], [])
        )
        (found if fields.get("source") == JOURNAL_SOURCE else others).append(index)
    twice: set[int] = set()
    for found, others in by_chat.values():
        if not found or not others:
            continue
        calls = [_as_journal_call(records[index]) for index in found]
        chosen = matching.assign(calls, [records[index] for index in others])
        twice.update(found[entry] for entry in chosen)
    return twice


def _as_journal_call(fields: Mapping[str, Any]) -> JournalCall:
    event_at = fields["eventAt"]
    call = CallNotification(
        instance_id=int(fields.get("instanceId") or 0),
        chat_id=str(fields.get("chatId")),
        call_id=str(fields.get("callId")),
        status=str(fields["status"]),
        timestamp=int(event_at.timestamp()),
    )
    return JournalCall(call)


def record_key_of(fields: Mapping[str, Any]) -> str:
    """A stored record's key (notification.CallNotification.record_key) from its fields."""
    return f"{fields.get('callId')}_{fields.get('status')}"


def may_have_nearby(last_call_at: datetime | None, start: datetime) -> bool:
    """Whether a chat can hold a record at or after `start`: lastCallAt is its newest record's
    eventAt, so a chat whose last call is older holds none (no query needed)."""
    return last_call_at is not None and last_call_at >= start


class LookupPacer:
    """Caller-name lookups of one run: at most one start per `interval` seconds (GREEN-API
    allows GetContactInfo once a second), none after `budget` seconds from the first. Shared by
    the run's threads: one waits for its slot at a time."""

    def __init__(
        self,
        budget: float,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self._budget = budget
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._deadline: float | None = None
        self._next_start = -math.inf
        self._lock = threading.Lock()

    def slot(self, longest: float) -> float | None:
        """Wait for the next free slot and return how long that lookup may take (at most
        `longest`), or None when the budget is spent: the name then stays unknown."""
        with self._lock:
            return self._take_slot(longest)

    def _take_slot(self, longest: float) -> float | None:
        now = self._clock()
        if self._deadline is None:
            self._deadline = now + self._budget
        start = max(now, self._next_start)
        remaining = self._deadline - start
        if remaining <= 0:
            return None
        if start > now:
            self._sleep(start - now)
        self._next_start = start + self._interval
        return min(longest, remaining)


@dataclass(frozen=True)
class ReconcileRun:
    """What a run is asked: how far back the journal is read, whether it writes, and the seconds
    its caller-name lookups may take in all (one a second; the scheduled runs' and the CLI's
    default)."""

    since: timedelta
    dry_run: bool = False
    lookup_budget: float = 60.0


@dataclass
class ReconcileReport:
    """What one reconcile run did; `error` is set when GREEN-API or storage failed midway."""

    instance_id: int
    since: timedelta
    dry_run: bool
    journal: int = 0
    already_recorded: int = 0
    added: int = 0
    skipped: int = 0
    rejected: int = 0
    first_added: datetime | None = None
    last_added: datetime | None = None
    error: str | None = None
    truncated: bool = False  # the journal returned JOURNAL_MAX entries: older calls may be missing

    def count_added(self, event_at: datetime) -> None:
        self.added += 1
        self.first_added = min(event_at, self.first_added or event_at)
        self.last_added = max(event_at, self.last_added or event_at)

    def counts(self) -> dict[str, Any]:
        """The --json object: the integer counts and dry_run (and error, after a failure)."""
        found: dict[str, Any] = {name: getattr(self, name) for name in COUNTS}
        found["dry_run"] = self.dry_run
        if self.truncated:
            found["truncated"] = True
        if self.error is not None:
            found["error"] = self.error
        return found

    def as_json(self) -> str:
        return json.dumps(self.counts(), sort_keys=True)

    @property
    def missing_calls(self) -> bool:
        """Calls were added: their webhooks never arrived (a dry run adds nothing)."""
        return self.added > 0 and not self.dry_run

    def summary(self) -> str:
        """One line for a person (and the log)."""
        would = "would add" if self.dry_run else "added"
        text = (
            f"instance {self.instance_id}, last {format_duration(self.since)}: "
            f"{self.journal} journal entries, {self.already_recorded} already recorded, "
            f"{self.added} {would}, "
            f"{self.skipped} skipped by CALL_MODE, {self.rejected} rejected"
        )
        if self.missing_calls:
            text += f". {self.missing_message()}"
        if self.truncated:
            text += (
                f". The journal returned its maximum of {JOURNAL_MAX:,} entries: older calls may"
                " be cut off; run reconcile with a shorter --since more often"
            )
        if self.error is not None:
            text += f". Stopped: {self.error}; a rerun completes it"
        return text

    def missing_message(self) -> str:
        return (
            f"{self.added} calls were missing from the log: webhooks were lost between "
            f"{_time(self.first_added)} and {_time(self.last_added)}"
        )


def run_counts(reports: Sequence[ReconcileReport]) -> dict[str, Any]:
    """The --json object (and the scheduled run's answer) of a run: the one instance's counts;
    with several instances, their totals and each instance's own counts under `instances`."""
    if len(reports) == 1:
        return reports[0].counts()
    found: dict[str, Any] = {name: sum(getattr(r, name) for r in reports) for name in COUNTS}
    found["dry_run"] = all(report.dry_run for report in reports)
    if any(report.truncated for report in reports):
        found["truncated"] = True
    error = run_error(reports)
    if error is not None:
        found["error"] = error
    found["instances"] = {str(report.instance_id): report.counts() for report in reports}
    return found


def run_error(reports: Sequence[ReconcileReport]) -> str | None:
    """What failed in the run, instance by instance; None when nothing did."""
    errors = [f"instance {r.instance_id}: {r.error}" for r in reports if r.error is not None]
    return "; ".join(errors) if errors else None


def _time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "?"
