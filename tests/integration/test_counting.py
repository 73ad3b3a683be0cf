"""Every call counted once, as GREEN-API really sends it (issue 22): the webhook's `pickUp` is the
ANSWER, the journal's timestamp the END; `missed` and `declined` are one outcome. The deployed
function records the webhooks, `reconcile` reads the fake GREEN-API's journal, both stores."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from call_logger.cli import main

from tests.conftest import CallDesk, journal_entry, post, records, sample
from tests.support.backends import Backend

IVAN = "79001234567@c.us"
HOUR = 3600


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()  # the webhook's log lines
    assert main(list(args)) == 0
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    return found


def reconcile(capsys: pytest.CaptureFixture[str], since: str = "1d") -> dict[str, Any]:
    return run_json(capsys, "reconcile", "--json", "--lookup-budget", "0", "--since", since)


def ivan_records(backend: Backend) -> list[tuple[str, str]]:
    found = [(r["status"], r["source"]) for r in records(backend).values() if r["chatId"] == IVAN]
    return sorted(found)


def test_the_samples_webhook_and_journal_pair_adds_nothing(desk: CallDesk) -> None:
    webhook = sample("incoming-call-pickup")
    (answered,) = [e for e in sample_journal() if e["chatId"] == webhook["from"]]
    # The samples are one conversation of about 15 minutes: answered, then ended.
    assert 0 < answered["timestamp"] - webhook["timestamp"] < HOUR
    assert post(desk.app, webhook).status_code == 200
    desk.green.journal = sample_journal()
    found = reconcile(desk.capsys, "3650d")
    assert (found["journal"], found["already_recorded"], found["added"]) == (3, 1, 2)
    assert ivan_records(desk.backend) == [("pickUp", "webhook")]


def sample_journal() -> list[dict[str, Any]]:
    journal: list[dict[str, Any]] = sample("last-incoming-calls-response")  # type: ignore[assignment]
    return journal


def test_a_three_hour_answered_call_matches(desk: CallDesk) -> None:
    ended = int(time.time()) - 60
    desk.deliver(IVAN, "pickUp", ended - 3 * HOUR, "WEBHOOK")
    desk.green.journal = [journal_entry(IVAN, "pickUp", ended, "JOURNAL")]
    assert reconcile(desk.capsys)["added"] == 0
    assert ivan_records(desk.backend) == [("pickUp", "webhook")]


def test_two_answered_calls_with_one_webhook_lost_add_exactly_one(desk: CallDesk) -> None:
    now = int(time.time())
    desk.deliver(IVAN, "pickUp", now - 2 * HOUR, "FIRST")  # answered, ended an hour later
    # the second call's webhook (answered now - 40 min) was lost
    desk.green.journal = [
        journal_entry(IVAN, "pickUp", now - 600, "J2"),
        journal_entry(IVAN, "pickUp", now - HOUR, "J1"),
    ]
    found = reconcile(desk.capsys)
    assert (found["already_recorded"], found["added"]) == (1, 1)
    assert ivan_records(desk.backend) == [("pickUp", "journal"), ("pickUp", "webhook")]
    assert reconcile(desk.capsys)["added"] == 0  # and so on every run


def test_missed_and_declined_of_one_call_add_nothing(desk: CallDesk) -> None:
    now = int(time.time()) - 600
    desk.deliver(IVAN, "missed", now, "WEBHOOK")
    desk.green.journal = [journal_entry(IVAN, "declined", now + 3, "JOURNAL")]
    found = reconcile(desk.capsys)
    assert (found["already_recorded"], found["added"]) == (1, 0)
    dry = run_json(desk.capsys, "reconcile", "--json", "--dry-run", "--lookup-budget", "0")
    assert dry["added"] == 0


def test_hung_up_then_declined_ten_seconds_apart_are_two(desk: CallDesk) -> None:
    now = int(time.time()) - 600
    desk.deliver(IVAN, "hungUp", now, "WEBHOOK")
    desk.green.journal = [journal_entry(IVAN, "declined", now + 10, "JOURNAL")]
    assert reconcile(desk.capsys)["added"] == 1
    assert ivan_records(desk.backend) == [("declined", "journal"), ("hungUp", "webhook")]


def test_the_reports_answered_count_equals_the_calls_answered(desk: CallDesk) -> None:
    now = int(time.time()) - HOUR
    # Three answered calls: two whose webhooks came (20 and 5 minutes long), one only the
    # journal knows; and a missed one seen both ways.
    desk.deliver(IVAN, "offer", now - 30, "A")
    desk.deliver(IVAN, "pickUp", now, "A")
    desk.deliver(IVAN, "pickUp", now + 1800, "B")
    desk.deliver(IVAN, "missed", now + 2400, "C")
    desk.deliver(IVAN, "offer", now - 3060, "D")  # rang; its pickUp webhook was lost
    desk.green.journal = [
        journal_entry(IVAN, "declined", now + 2400, "JC"),
        journal_entry(IVAN, "pickUp", now + 2100, "JB"),
        journal_entry(IVAN, "pickUp", now + 1200, "JA"),
        journal_entry(IVAN, "pickUp", now - 3000, "JLOST"),
    ]
    assert reconcile(desk.capsys)["added"] == 1
    figures = run_json(desk.capsys, "calls", "report", "--json")
    assert (figures["answered"], figures["missed"], figures["total"]) == (3, 1, 4)
    # D's journal entry ends a minute after its ring: an end, not the answer, so no wait of it.
    assert figures["answer_seconds_median"] == 30.0


def test_a_call_recorded_twice_before_the_fix_counts_once_in_the_report(
    desk: CallDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    ended = int(time.time()) - 600
    desk.deliver(IVAN, "pickUp", ended - 900, "WEBHOOK")
    desk.green.journal = [journal_entry(IVAN, "pickUp", ended, "JOURNAL")]
    monkeypatch.setenv("RECONCILE_MAX_CALL", "1m")  # the old rule: a 15-minute call is added
    assert reconcile(desk.capsys)["added"] == 1
    assert ivan_records(desk.backend) == [("pickUp", "journal"), ("pickUp", "webhook")]
    monkeypatch.delenv("RECONCILE_MAX_CALL")
    figures = run_json(desk.capsys, "calls", "report", "--json")
    assert (figures["answered"], figures["total"]) == (1, 1)
