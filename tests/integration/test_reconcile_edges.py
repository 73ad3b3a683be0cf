"""reconcile at its edges: a journal at GREEN-API's 10,000-entry maximum says older calls may be
cut off; a --since past 100 years is refused in one line. Both stores, the fake GREEN-API."""

from __future__ import annotations

import json
import logging
import time

import pytest
from call_logger.cli import main
from call_logger.core.journal import JOURNAL_MAX

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import journal_entry
from tests.support.backends import Backend


def test_a_journal_at_its_maximum_says_older_calls_may_be_cut_off(
    green_env: FakeGreenApi,
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("CALL_MODE", "offer")  # every entry skipped: the run stays quick
    now = int(time.time())
    green_env.journal = [
        journal_entry("79001234567@c.us", "missed", now - n, f"J{n}") for n in range(JOURNAL_MAX)
    ]
    assert main(["reconcile", "--json", "--lookup-budget", "0"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert (found["journal"], found["skipped"], found["truncated"]) == (JOURNAL_MAX,) * 2 + (True,)
    (line,) = [r for r in caplog.records if r.name == "call_logger.flows.reconcile"]
    assert line.levelno == logging.WARNING
    assert "older calls may be cut off" in line.getMessage()

    green_env.journal = green_env.journal[1:]
    assert main(["reconcile", "--json", "--lookup-budget", "0"]) == 0
    assert "truncated" not in json.loads(capsys.readouterr().out)


def test_a_since_past_a_hundred_years_is_refused_in_one_line(
    green_env: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reconcile", "--since", "99999999999999d"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "longer than 36500d" in err and "Traceback" not in err
