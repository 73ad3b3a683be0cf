"""docs/operations.md documents what operators read: every log event and key, the alerts,
subscribing; docs/configuration.md the settings of the logs."""

from __future__ import annotations

import re

from tests.support.docs import ROOT, section

CODE = "\n".join(path.read_text() for path in (ROOT / "function" / "call_logger").rglob("*.py"))


def test_every_event_the_code_logs_is_documented() -> None:
    events = set(re.findall(r"""event["']?\s*[=:]\s*["']([a-z]+\.[a-z_]+)["']""", CODE))
    events |= set(re.findall(r"""_refused\(\s*["']([a-z]+\.[a-z_]+)["']""", CODE))
    events |= {f"call.{outcome}" for outcome in ("recorded", "duplicate", "skipped", "rejected")}
    assert len(events) > 10
    logs = section("operations.md", "Logs")
    assert sorted(event for event in events if f"`{event}`" not in logs) == []


def test_the_stable_keys_are_documented() -> None:
    logs = section("operations.md", "Logs")
    for key in ("severity", "message", "logging.googleapis.com/trace", "event", "instance"):
        assert f"`{key}`" in logs, key
    for key in ("callId", "status", "outcome", "ms", "chatId", "exception", "suppressed"):
        assert f"`{key}`" in logs, key
    for setting in ("LOG_LEVEL", "LOG_CHAT_IDS"):
        assert f"`{setting}`" in section("configuration.md", "Configuration"), setting


def test_alerts_and_how_to_subscribe_are_documented() -> None:
    alerts = section("operations.md", "Alerts")
    assert "`alert_email`" in alerts
    for condition in ("(a)", "(b)", "(c)", "(d)", "`Errors`", "`Url5xxCount`"):
        assert condition in alerts, condition
    assert "confirmation link" in alerts  # SNS email subscriptions must be confirmed
    assert "aws sns subscribe" in alerts
    assert "notification channel" in alerts
