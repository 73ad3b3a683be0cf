"""GREEN-API's call journal (lastIncomingCalls) against the log: the pure parts of `reconcile`.

A journal entry is turned into the incomingCall body the webhook would have received for the same
final status, so the mode, labels, validation and record layout are exactly the webhook's.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from call_logger.core.envelope import INCOMING_CALL
from call_logger.core.notification import CallNotification
from call_logger.core.write_plan import ChatState
from call_logger.settings.limits import canonical_status

# The counts of a run, in the order people read them (also the --json keys, with dry_run).
COUNTS = ("journal", "already_recorded", "added", "skipped", "rejected")


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


def matches(call: CallNotification, records: Iterable[Mapping[str, Any]], window: float) -> bool:
    """Whether one of the chat's records is this call under another id: the same (canonical)
    status, with eventAt within `window` seconds of the journal's timestamp."""
    for fields in records:
        status, event_at = fields.get("status"), fields.get("eventAt")
        if not isinstance(status, str) or not isinstance(event_at, datetime):
            continue
        same_status = canonical_status(status) == call.status
        if same_status and abs((event_at - call.event_at).total_seconds()) <= window:
            return True
    return False


def may_have_nearby(chat: ChatState | None, call: CallNotification, window: float) -> bool:
    """Whether the chat can hold a record within `window` seconds of the call: lastCallAt is the
    newest record's eventAt, so a chat whose last call is older holds none (no query needed)."""
    if chat is None or chat.last_call_at is None:
        return False
    return (call.event_at - chat.last_call_at).total_seconds() <= window


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

    def count_added(self, event_at: datetime) -> None:
        self.added += 1
        self.first_added = min(event_at, self.first_added or event_at)
        self.last_added = max(event_at, self.last_added or event_at)

    def counts(self) -> dict[str, Any]:
        """The --json object: the integer counts and dry_run (and error, after a failure)."""
        found: dict[str, Any] = {name: getattr(self, name) for name in COUNTS}
        found["dry_run"] = self.dry_run
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
            f"instance {self.instance_id}, last {_duration(self.since)}: {self.journal} journal "
            f"entries, {self.already_recorded} already recorded, {self.added} {would}, "
            f"{self.skipped} skipped by CALL_MODE, {self.rejected} rejected"
        )
        if self.missing_calls:
            text += f". {self.missing_message()}"
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


def _duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
