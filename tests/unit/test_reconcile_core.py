"""CallService.reconcile with in-memory edges: batching, the window query only where it can
match, failures midway, and the pure parts of journal.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from call_logger.core.journal import LookupPacer, ReconcileReport, minutes_covering
from call_logger.flows.reconcile import WINDOW_PRELOAD_AT, reconcile
from call_logger.flows.webhook import CallService
from call_logger.settings.config import Config

from tests.unit.fakes import FakeGreenApi, MemoryStore, every_instance

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
INSTANCE = 1101000001


def entry(n: int, chat: int, age: int, status: str = "pickUp") -> dict[str, Any]:
    return {
        "type": "incoming",
        "idMessage": f"J{n}",
        "timestamp": int(NOW.timestamp()) - age,
        "typeMessage": "incomingCall",
        "chatId": f"7900{chat:07d}@c.us",
        "isVideo": False,
        "status": status,
    }


def run(store: MemoryStore, journal: list[Any], **options: Any) -> ReconcileReport:
    green_api = FakeGreenApi(journal=journal, journal_fails=options.pop("fails", False))
    service = CallService(
        Config(instance_id=INSTANCE), store, every_instance(green_api), clock=lambda: NOW
    )
    pacer = LookupPacer(0)
    return reconcile(service, timedelta(days=1), dry_run=options.get("dry_run", False), pacer=pacer)


def test_existence_is_read_once_per_100_entries() -> None:
    store = MemoryStore()
    journal = [entry(n, n % 50, 60 + n * 10) for n in range(250)]
    assert run(store, journal).added == 250
    store.existence_reads = 0
    again = run(store, journal)
    assert (again.already_recorded, again.added) == (250, 0)
    assert store.existence_reads == 3


def test_the_window_is_queried_only_when_the_chat_has_a_call_that_near() -> None:
    store = MemoryStore()
    run(store, [entry(1, 1, 3600)])  # the chat's last call: an hour ago
    store.window_queries = 0
    report = run(store, [entry(2, 1, 60), entry(3, 1, 3630), entry(4, 2, 60)])
    # J2 is an hour newer than the chat's last call and J4's chat is new: no query; J3 is 30 s
    # from J1 (another id, the same status): a query, which matches it.
    assert (report.added, report.already_recorded) == (2, 1)
    assert store.window_queries == 1


def test_a_journal_failure_is_reported_not_raised() -> None:
    store = MemoryStore()
    report = run(store, [entry(1, 1, 60)], fails=True)
    assert report.error is not None and "lastIncomingCalls" in report.error
    assert (report.journal, report.added, store.records) == (0, 0, {})


def test_a_storage_failure_stops_the_run_and_keeps_what_was_added() -> None:
    store = MemoryStore()
    store.down = True
    report = run(store, [entry(1, 1, 60)])
    assert report.error is not None and report.error.startswith("storage:")
    assert report.counts()["error"] == report.error


def test_dry_run_counts_without_writing_what_the_run_adds() -> None:
    store = MemoryStore()
    run(store, [entry(1, 1, 3600)])
    # J2 is J1's call under another id; J3 and J4, 40 s apart, are two calls (two journal
    # entries are never one call: one record answers for one entry at most).
    journal = [entry(2, 1, 3630), entry(3, 1, 60), entry(4, 1, 100)]
    report = run(store, journal, dry_run=True)
    assert (report.added, report.already_recorded, report.dry_run) == (2, 1, True)
    assert len(store.records) == 1 and store.saves == 1
    assert not report.missing_calls
    done = run(store, journal)
    assert (done.added, done.already_recorded) == (report.added, report.already_recorded)


def test_minutes_cover_the_window_rounded_up() -> None:
    assert minutes_covering(timedelta(seconds=30)) == 1
    assert minutes_covering(timedelta(minutes=90, seconds=1)) == 91
    assert minutes_covering(timedelta(days=7)) == 10080


def test_many_missing_entries_are_matched_from_one_read_of_their_time_span() -> None:
    store = MemoryStore()
    run(store, [entry(1, 1, 3600)])
    store.window_queries = 0
    journal = [entry(100 + n, 100 + n, 60 + n) for n in range(WINDOW_PRELOAD_AT)]
    journal += [entry(2, 1, 3630), entry(3, 1, 3000)]  # J2: J1 under another id; J3: 10 min off
    journal += [entry(4, 7, 500), entry(5, 7, 530)]  # two calls of one chat, 30 s apart
    report = run(store, journal)
    assert (report.added, report.already_recorded) == (WINDOW_PRELOAD_AT + 3, 1)
    assert store.window_queries == 0
    ids = {fields["callId"] for fields in store.records.values()}
    assert {"J3", "J4", "J5"} <= ids and "J2" not in ids


def test_a_fresh_missed_call_only_the_journal_knew_gets_its_reply_once() -> None:
    store = MemoryStore()
    green_api = FakeGreenApi(journal=[entry(1, 1, 60, "missed"), entry(2, 2, 3600, "missed")])
    config = Config(instance_id=INSTANCE, reply_template="Sorry we missed your call")
    service = CallService(config, store, every_instance(green_api), clock=lambda: NOW)
    for _ in range(2):  # the second run adds nothing and sends nothing
        reconcile(service, timedelta(days=1), dry_run=False, pacer=LookupPacer(0))
    # The call of an hour ago is past MISSED_CALL_REPLY_MAX_AGE: recorded, never greeted.
    assert green_api.sent == [("79000000001@c.us", "Sorry we missed your call")]
    assert len(store.records) == 2
