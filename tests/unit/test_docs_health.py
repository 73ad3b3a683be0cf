"""The pages that state the instance-health contracts say what the code does: the states and what
to do (docs/operations.md), the health check's events and alert, its setting's default
(docs/configuration.md), and the switches configure-instance sets (README)."""

from __future__ import annotations

import pytest
from call_logger.core import instance_settings
from call_logger.core.notification import UNKNOWN_STATE_ADVICE, what_to_do
from call_logger.flows.health import BACKLOG_EVENT, CHECKED_EVENT
from call_logger.settings.config import DEFAULT_WEBHOOK_BACKLOG_ALERT

from tests.support.docs import section

# Every stateInstance GREEN-API documents (../shared/green-api/PROTOCOL.md).
STATES = (
    "notAuthorized",
    "blocked",
    "suspended",
    "yellowCard",
    "PassKeyRequire",
    "sleepMode",
    "starting",
)


@pytest.mark.parametrize("state", STATES)
def test_each_documented_state_says_what_to_do(state: str) -> None:
    assert what_to_do(state) not in ("", UNKNOWN_STATE_ADVICE)
    assert f"`{state}`" in section("operations.md", "Instance state")


def test_a_state_nobody_knows_is_not_working() -> None:
    assert what_to_do("quarantined") == UNKNOWN_STATE_ADVICE
    assert UNKNOWN_STATE_ADVICE.startswith("not working")
    assert "any other" in section("operations.md", "Instance state")


def test_the_health_checks_lines_and_alert_are_documented() -> None:
    logs = section("operations.md", "Logs")
    assert f"`{BACKLOG_EVENT}`" in logs and f"`{CHECKED_EVENT}`" in logs
    assert "(e)" in section("operations.md", "Alerts")


def test_the_backlog_limits_default_is_the_codes() -> None:
    [row] = [
        line
        for line in section("configuration.md", "Configuration").splitlines()
        if line.startswith("| `WEBHOOK_BACKLOG_ALERT` |")
    ]
    assert f"| `{DEFAULT_WEBHOOK_BACKLOG_ALERT}` |" in row


def test_pointing_an_instance_names_every_switch_configure_instance_sets() -> None:
    text = section("README.md", "Pointing an instance at the function")
    switches = (
        *instance_settings.USED_SWITCHES,
        *instance_settings.MESSAGE_SWITCHES,
        instance_settings.DELIVERY_STATUSES,
        instance_settings.INCOMING_MESSAGES,
    )
    assert [name for name in switches if f"`{name}`" not in text] == []
    assert "`--keep-incoming-webhook`" in text and "`keep_incoming_webhook`" in text
