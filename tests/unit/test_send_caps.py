"""The caps' decisions over a rolling hour (send_caps): exact at its edge, a warning an hour."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from call_logger.core.send_caps import REPLY, SENT_AT, WARNED_AT, SendLog, decide
from call_logger.settings.config import Config, ConfigError

START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
INSTANCE = 1101000001


def after(log: SendLog | None, minutes: float, limit: int = 3) -> tuple[bool, SendLog | None, bool]:
    """Decide at START + minutes and apply the decision's write, as a committed claim would."""
    decision = decide(INSTANCE, REPLY, log, limit, START + timedelta(minutes=minutes))
    if decision.write is None:
        return decision.allowed, log, decision.warn
    fields = decision.write.fields
    version = 0 if log is None else log.version
    return (
        decision.allowed,
        SendLog(version + 1, tuple(fields[SENT_AT]), fields[WARNED_AT]),
        decision.warn,
    )


def test_the_cap_counts_any_rolling_hour_not_clock_hours() -> None:
    log = None
    allowed = []
    # Three sends late in one clock hour, then tries early in the next.
    for minutes in (50, 55, 59, 61, 65, 110, 111):
        ok, log, _ = after(log, minutes)
        allowed.append(ok)
    # 61 and 65 are within an hour of the three; at 110 the send of 50 is an hour old.
    assert allowed == [True, True, True, False, False, True, False]


def test_the_first_refusal_of_an_hour_warns_and_the_next_ones_do_not() -> None:
    log = None
    warned = []
    for minutes in (0, 1, 2, 30, 63, 64):
        _, log, warn = after(log, minutes, limit=1)
        warned.append(warn)
    # 1: the hour's first refusal; 63: a send again (the one of 0 is an hour old); 64: refused
    # an hour after the last warning.
    assert warned == [False, True, False, False, False, True]


def test_a_refusal_without_a_warning_writes_nothing() -> None:
    _, log, _ = after(None, 0, limit=1)
    _, log, _ = after(log, 1, limit=1)
    decision = decide(INSTANCE, REPLY, log, 1, START + timedelta(minutes=2))
    assert (decision.allowed, decision.write, decision.warn) == (False, None, False)
    assert decision.setting == "MISSED_CALL_REPLY_MAX_PER_HOUR"


def test_the_caps_are_settings_of_the_deployment_and_of_each_instance() -> None:
    entry = {"apiUrl": "https://api.green-api.com", "apiTokenInstance": "token-0123456789"}
    instances = {"1101000001": entry | {"missedCallReplyMaxPerHour": "5"}, "1101000002": entry}
    env = {"GREEN_API_INSTANCES": json.dumps(instances), "OPERATOR_NOTIFY_MAX_PER_HOUR": "9"}
    config = Config.from_env(env)

    own, other = config.settings_for(1101000001), config.settings_for(1101000002)
    assert (own.reply_max_per_hour, own.notify_max_per_hour) == (5, 9)
    assert (other.reply_max_per_hour, other.notify_max_per_hour) == (30, 9)
    for bad in ("0", "1001", "many"):
        with pytest.raises(ConfigError, match="MISSED_CALL_REPLY_MAX_PER_HOUR"):
            Config.from_env({"MISSED_CALL_REPLY_MAX_PER_HOUR": bad})
