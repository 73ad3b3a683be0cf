"""health.check_instance with the in-memory store: what it keeps, and that a store that is down
costs the record, never the backlog's line."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from call_logger.core.journal import LookupPacer
from call_logger.flows.health import BACKLOG_EVENT, HealthReport, check_instance
from call_logger.settings.config import Config

from tests.unit.fakes import MemoryStore

INSTANCE = 1101000001
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
CONFIG = Config(instance_id=INSTANCE, green_api_token="t0k3n-f0r-tests")


@dataclass
class Instance:
    state: str = "authorized"
    backlog: int = 0

    def get_state_instance(self) -> str:
        return self.state

    def get_webhooks_count(self) -> int:
        return self.backlog


def no_wait() -> LookupPacer:
    return LookupPacer(30, 0.0, sleep=lambda seconds: None)


def run(store: MemoryStore, api: Instance) -> HealthReport:
    return check_instance(
        CONFIG, INSTANCE, store=store, client=api, pacer=no_wait(), clock=lambda: NOW
    )


def test_what_was_found_is_kept_with_when() -> None:
    store = MemoryStore()
    run(store, Instance(backlog=4))
    stored = store.instances[INSTANCE]
    assert (stored["state"], stored["stateChangedAt"], stored["stateCheckedAt"]) == (
        "authorized",
        NOW,
        NOW,
    )
    assert (stored["webhookBacklog"], stored["backlogCheckedAt"]) == (4, NOW)


def test_a_store_that_is_down_still_logs_the_backlog(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore(down=True)
    with caplog.at_level(logging.INFO, logger="call_logger.flows.health"):
        report = run(store, Instance(backlog=500))
    [line] = [r for r in caplog.records if getattr(r, "event", None) == BACKLOG_EVENT]
    assert line.levelno == logging.WARNING and line.__dict__["webhookBacklog"] == 500
    assert any(error.startswith("storage:") for error in report.errors)
