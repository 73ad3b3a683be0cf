"""`reconcile`: GREEN-API's call journal (the fake server) against each deployment's store, with
records written by the real deployed function where a webhook "arrived"."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from call_logger.cli import main
from call_logger.core.journal import LookupPacer
from call_logger.flows.reconcile import WINDOW_PRELOAD_AT

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import CallDesk, journal_entry, records

IVAN = "79001234567@c.us"
OLGA = "79005550000@c.us"
INSTANCE = 1101000001
KEYS = {"journal", "already_recorded", "added", "skipped", "rejected", "dry_run"}


def reconcile(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()  # the webhook's log lines, if it ran
    code = main(["reconcile", "--json", "--lookup-budget", "0", *args])
    out = capsys.readouterr().out
    (line,) = out.splitlines()  # exactly one JSON object
    counts: dict[str, Any] = json.loads(line)
    return code, counts


def counts(**values: int) -> dict[str, Any]:
    base = dict.fromkeys(["journal", "already_recorded", "added", "skipped", "rejected"], 0)
    return base | values | {"dry_run": False}


def test_json_has_exactly_the_documented_keys(
    green_env: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    code, found = reconcile(capsys)
    assert code == 0
    assert set(found) == KEYS
    assert all(type(found[key]) is int for key in KEYS - {"dry_run"})
    assert found["dry_run"] is False


def test_adds_what_the_webhook_would_have_recorded_with_source_journal(desk: CallDesk) -> None:
    now = int(time.time())
    desk.green.journal = [journal_entry(IVAN, "hangUp", now - 600, "3EB0AA")]
    assert reconcile(desk.capsys) == (0, counts(journal=1, added=1))
    stored = desk.backend.documents()
    record = stored[f"chats/{INSTANCE}_{IVAN}/records/3EB0AA_hungUp"]
    assert {k: v for k, v in record.items() if k != "recordedAt"} == {
        "instanceId": INSTANCE,
        "chatId": IVAN,
        "callId": "3EB0AA",
        "status": "hungUp",
        "label": "Dropped call",
        "callerName": None,
        "eventAt": datetime.fromtimestamp(now - 600, UTC),
        "source": "journal",
        "direction": "incoming",
    }
    chat = stored[f"chats/{INSTANCE}_{IVAN}"]
    assert (chat["lastCallAt"], chat["lastLabel"]) == (record["eventAt"], "Dropped call")


def test_exact_key_match_against_a_webhook_record(desk: CallDesk) -> None:
    now = int(time.time())
    desk.deliver(IVAN, "pickUp", now - 60, "SAMEID")
    before = desk.backend.documents()
    desk.green.journal = [journal_entry(IVAN, "pickUp", now - 60, "SAMEID")]
    assert reconcile(desk.capsys) == (0, counts(journal=1, already_recorded=1))
    assert desk.backend.documents() == before


@pytest.mark.parametrize(
    ("webhook_status", "journal_status", "offset", "added"),
    [
        ("pickUp", "pickUp", 120, 0),  # answered two minutes before the call ended
        ("hangUp", "hungUp", -90, 0),  # the two spellings are one status
        ("hangUp", "hungUp", 121, 1),  # just outside the window: another call
        ("pickUp", "pickUp", -1, 1),  # answered after the journal's call ended: another call
        ("pickUp", "declined", 5, 1),  # another status: another call
    ],
)
def test_window_match_when_the_ids_differ(
    desk: CallDesk, webhook_status: str, journal_status: str, offset: int, added: int
) -> None:
    now = int(time.time()) - 3600
    desk.deliver(IVAN, webhook_status, now, "WEBHOOKID")
    desk.green.journal = [
        journal_entry(IVAN, journal_status, now + offset, "JOURNALID"),
        journal_entry(OLGA, webhook_status, now, "OTHERCHAT"),  # same time and status, another chat
    ]
    code, found = reconcile(desk.capsys)
    assert code == 0
    assert found == counts(journal=2, added=1 + added, already_recorded=1 - added)


def test_match_window_is_a_setting(desk: CallDesk, monkeypatch: pytest.MonkeyPatch) -> None:
    now = int(time.time()) - 3600
    desk.deliver(IVAN, "hungUp", now, "WEBHOOKID")
    desk.green.journal = [journal_entry(IVAN, "hungUp", now + 300, "JOURNALID")]
    monkeypatch.setenv("RECONCILE_MATCH_WINDOW", "5m")
    assert reconcile(desk.capsys) == (0, counts(journal=1, already_recorded=1))


def test_a_second_run_adds_nothing(desk: CallDesk) -> None:
    now = int(time.time())
    desk.green.journal = [
        journal_entry(IVAN, "pickUp", now - 100, "A1"),
        journal_entry(IVAN, "missed", now - 5000, "A2"),
        journal_entry(OLGA, "declined", now - 200, "B1"),
        journal_entry(IVAN, "pickUp", now - 100, "A1"),  # listed twice
    ]
    assert reconcile(desk.capsys) == (0, counts(journal=4, added=3, already_recorded=1))
    first = desk.backend.documents()
    assert reconcile(desk.capsys) == (0, counts(journal=4, already_recorded=4))
    assert desk.backend.documents() == first


def test_last_call_at_never_moves_back(desk: CallDesk) -> None:
    now = int(time.time())
    desk.deliver(IVAN, "pickUp", now - 60, "NEWER")
    desk.green.journal = [journal_entry(IVAN, "missed", now - 7200, "OLDER")]
    assert reconcile(desk.capsys) == (0, counts(journal=1, added=1))
    chat = desk.backend.documents()[f"chats/{INSTANCE}_{IVAN}"]
    assert chat["lastCallAt"] == datetime.fromtimestamp(now - 60, UTC)
    assert chat["lastLabel"] == "Answered call"


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("all", {"pickUp": "Answered call", "hungUp": "Dropped call"}),
        ("results", {"pickUp": "Answered call", "hungUp": "Missed call"}),
        ("offer", {}),
        ("ignore", {}),
    ],
)
def test_modes(
    desk: CallDesk, monkeypatch: pytest.MonkeyPatch, mode: str, expected: dict[str, str]
) -> None:
    monkeypatch.setenv("CALL_MODE", mode)
    now = int(time.time())
    desk.green.journal = [
        journal_entry(IVAN, "pickUp", now - 10, "P"),
        journal_entry(IVAN, "hungUp", now, "H"),
    ]
    added = len(expected)
    assert reconcile(desk.capsys) == (0, counts(journal=2, added=added, skipped=2 - added))
    labels = {r["status"]: r["label"] for r in records(desk.backend).values()}
    assert labels == expected


def test_dry_run_writes_nothing_and_reports_what_it_would_add(desk: CallDesk) -> None:
    now = int(time.time())
    desk.green.journal = [
        journal_entry(IVAN, "pickUp", now - 100, "A1"),
        journal_entry(IVAN, "pickUp", now - 50, "A2"),  # another entry: another call
        {"type": "incoming", "status": "pickUp"},  # can never be recorded
    ]
    code, found = reconcile(desk.capsys, "--dry-run")
    assert code == 0
    assert found == counts(journal=3, added=2, rejected=1) | {"dry_run": True}
    assert desk.backend.documents() == {}


def test_an_entry_that_can_never_be_recorded_is_kept_in_rejected(desk: CallDesk) -> None:
    now = int(time.time())
    desk.green.journal = [
        journal_entry(IVAN, "pickUp", now, "GOOD"),
        journal_entry(IVAN, "pickUp", now, "BAD/ID"),
        "not an object",
    ]
    assert reconcile(desk.capsys) == (0, counts(journal=3, added=1, rejected=2))
    kept = {
        path: doc for path, doc in desk.backend.documents().items() if path.startswith("rejected/")
    }
    assert len(kept) == 2
    assert all("journal entry" in doc["reason"] for doc in kept.values())


def test_since_asks_the_journal_for_whole_minutes(
    green_env: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    now = int(time.time())
    green_env.journal = [
        journal_entry(IVAN, "pickUp", now - 30 * 60, "IN"),
        journal_entry(OLGA, "pickUp", now - 3 * 3600, "OUT"),
    ]
    assert reconcile(capsys, "--since", "90m") == (0, counts(journal=1, added=1))
    (request,) = green_env.requests_for("lastIncomingCalls")
    assert request.query == {"minutes": "90"}
    assert reconcile(capsys, "--since", "30d")[1]["journal"] == 2
    assert green_env.requests_for("lastIncomingCalls")[-1].query == {"minutes": str(30 * 1440)}


@pytest.mark.parametrize("fault", [{"status": 429}, {"status": 466}, {"bad_json": True}])
def test_a_journal_failure_exits_1_and_writes_nothing(
    desk: CallDesk, fault: dict[str, Any]
) -> None:
    desk.green.journal = [journal_entry(IVAN, "pickUp", int(time.time()), "A1")]
    desk.green.fail("lastIncomingCalls", **fault)
    code = main(["reconcile", "--json"])
    out, err = desk.capsys.readouterr()
    assert code == 1
    assert json.loads(out)["added"] == 0
    assert "lastIncomingCalls" in err
    assert desk.green.token not in out + err
    assert desk.backend.documents() == {}


@pytest.mark.parametrize(
    ("args", "unset"),
    [
        ([], "GREEN_API_TOKEN"),
        ([], "GREEN_API_ID_INSTANCE"),
        (["--since", "yesterday"], None),
        (["--since", "0m"], None),
        (["--lookup-budget", "lots"], None),
    ],
)
def test_usage_and_missing_settings_exit_2(
    green_env: FakeGreenApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    unset: str | None,
) -> None:
    if unset:
        monkeypatch.delenv(unset)
    assert main(["reconcile", *args]) == 2
    assert capsys.readouterr().out == ""
    assert green_env.requests_for("lastIncomingCalls") == []


def test_names_come_from_the_cache_or_a_lookup(
    desk: CallDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.green.set_contact(IVAN, contact_name="Ivan Petrov")
    desk.green.set_contact(OLGA, contact_name="Olga")
    now = int(time.time())
    desk.deliver(IVAN, "offer", now - 4000, "CACHED")
    desk.green.requests.clear()
    desk.green.journal = [
        journal_entry(IVAN, "pickUp", now - 60, "I1"),
        journal_entry(OLGA, "pickUp", now, "O1"),
    ]
    assert main(["reconcile", "--json"]) == 0
    desk.capsys.readouterr()
    names = {r["callId"]: r["callerName"] for r in records(desk.backend).values()}
    assert names == {"CACHED": "Ivan Petrov", "I1": "Ivan Petrov", "O1": "Olga"}
    looked_up = [r.json["chatId"] for r in desk.green.requests_for("getContactInfo")]
    assert looked_up == [OLGA]


def test_a_failing_lookup_never_fails_the_run(desk: CallDesk) -> None:
    desk.green.fail("getContactInfo", status=429)
    desk.green.journal = [journal_entry(IVAN, "pickUp", int(time.time()), "A1")]
    assert main(["reconcile", "--json"]) == 0
    assert json.loads(desk.capsys.readouterr().out)["added"] == 1
    (record,) = records(desk.backend).values()
    assert record["callerName"] is None


def test_the_run_logs_one_line_and_warns_about_missing_calls(
    green_env: FakeGreenApi, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    green_env.journal = [
        journal_entry(IVAN, "pickUp", 1764087305, "A1"),
        journal_entry(OLGA, "declined", 1764086125, "B1"),
    ]
    reconcile(capsys, "--since", "3650d")
    reconcile(capsys, "--since", "3650d")
    first, second = (r for r in caplog.records if r.name == "call_logger.flows.reconcile")
    assert (first.levelno, first.__dict__["event"]) == (logging.WARNING, "reconcile.missing_calls")
    assert "2 calls were missing from the log: webhooks were lost between " in first.getMessage()
    assert "2025-11-25 15:55:25 UTC and 2025-11-25 16:15:05 UTC" in first.getMessage()
    assert (second.levelno, second.__dict__["event"]) == (logging.INFO, "reconcile.run")
    assert second.__dict__["instance"] == INSTANCE
    assert (second.__dict__["journal"], second.__dict__["already_recorded"]) == (2, 2)
    assert second.__dict__["added"] == 0


def test_lookup_pacer_starts_at_most_one_lookup_a_second_within_the_budget() -> None:
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    pacer = LookupPacer(2.5, clock=lambda: now[0], sleep=sleep)
    assert pacer.slot(3.0) == 2.5  # the first lookup may take what is left of the budget
    now[0] += 0.2
    assert pacer.slot(0.5) == 0.5
    assert sleeps == [pytest.approx(0.8)]
    assert pacer.slot(3.0) == pytest.approx(0.5)  # at 102.0, half a second of budget left
    assert pacer.slot(3.0) is None  # 103.0 is past the budget
    assert LookupPacer(0).slot(1.0) is None


def test_many_missing_calls_are_matched_from_one_read_of_their_span(desk: CallDesk) -> None:
    now = int(time.time()) - 3600
    desk.deliver(IVAN, "pickUp", now, "WEBHOOKID")
    lost = [
        journal_entry(f"7900777{n:04d}@c.us", "declined", now - n * 60, f"L{n}")
        for n in range(WINDOW_PRELOAD_AT)
    ]
    desk.green.journal = [*lost, journal_entry(IVAN, "pickUp", now + 90, "JOURNALID")]
    found = reconcile(desk.capsys)
    assert found == (
        0,
        counts(journal=WINDOW_PRELOAD_AT + 1, added=WINDOW_PRELOAD_AT, already_recorded=1),
    )
    assert reconcile(desk.capsys)[1]["added"] == 0
