"""What an outgoing message costs, and the digest sent once, against the in-memory Store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from call_logger.core import digest
from call_logger.flows.reporting import run_digest, scheduled_digest
from call_logger.flows.shared import Outcome
from call_logger.flows.webhook import CallService
from call_logger.settings.config import Config

from tests.unit.fakes import FakeGreenApi, MemoryStore

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CHAT_KEY = "1101000001_79001234567@c.us"


def body(name: str, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text()) | changes
    return value


def message(api: bool = False, **changes: Any) -> dict[str, Any]:
    kind = "outgoingAPIMessageReceived" if api else "outgoingMessageReceived"
    return body("outgoing-message-received", typeWebhook=kind, **changes)


@pytest.mark.parametrize("api", [False, True])
def test_a_message_to_a_chat_that_never_called_costs_one_blind_write(api: bool) -> None:
    store = MemoryStore()

    outcome = CallService(Config(), store).handle(message(api), b"")

    assert outcome is Outcome.SKIPPED
    assert (store.probes, store.reply_checks, store.loads, store.saves) == (1, 0, 0, 0)
    assert store.chats == {}


def test_a_message_to_a_waiting_chat_is_read_and_written_once() -> None:
    store = MemoryStore()
    service = CallService(Config(), store)
    service.handle(body("incoming-call-missed", timestamp=1764088000), b"")
    store.loads = store.saves = 0

    outcome = service.handle(message(api=True), b"")

    assert outcome is Outcome.RECORDED
    assert (store.probes, store.reply_checks, store.loads, store.saves) == (1, 1, 1, 1)
    assert store.chats[CHAT_KEY]["awaitingCallback"] is False


def test_without_callback_by_message_a_message_touches_nothing() -> None:
    store = MemoryStore()

    outcome = CallService(Config(callback_by_message=False), store).handle(message(), b"")

    assert (outcome, store.probes) == (Outcome.SKIPPED, 0)


def test_the_digest_is_claimed_before_it_is_sent_and_sent_once() -> None:
    store, green_api = MemoryStore(), FakeGreenApi()
    config = Config(operator_chat_id="79990000000@c.us")
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    first = run_digest(store, config, green_api, send=True, now=now)
    again = run_digest(store, config, green_api, send=True, now=now)

    assert (first.day, first.sent, again.sent, again.already_sent) == (
        date(2026, 11, 25),
        True,
        False,
        True,
    )
    assert green_api.sent == [
        ("79990000000@c.us", "No calls yesterday. Nobody is waiting for a call back.")
    ]
    assert list(store.digests) == ["2026-11-25"]


def test_a_scheduled_run_sends_yesterdays_digest_once_its_time_has_come() -> None:
    zone = ZoneInfo("Europe/Moscow")
    nine = time(9, 0)
    before = datetime(2026, 11, 26, 5, 59, tzinfo=UTC)  # 08:59 in Moscow
    after = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)

    assert digest.due(before, nine, zone) is None
    assert digest.due(after, nine, zone) == date(2026, 11, 25)
    assert digest.due(after + timedelta(hours=14), nine, zone) == date(2026, 11, 25)
    assert digest.due(after, None, zone) is None  # DIGEST_TIME empty: off


def test_scheduled_runs_send_one_digest_a_day() -> None:
    store, green_api = MemoryStore(), FakeGreenApi()
    config = Config(operator_chat_id="79990000000@c.us", digest_time=time(9, 0))
    runs = [datetime(2026, 11, 26, hour, tzinfo=UTC) for hour in (8, 9, 10, 23)]

    results = [scheduled_digest(store, config, green_api, now) for now in runs]

    assert [result and result.sent for result in results] == [None, True, False, False]
    assert len(green_api.sent) == 1
