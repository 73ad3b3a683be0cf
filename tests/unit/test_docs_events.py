"""docs/events.md states the events' contract: its receiver example verifies a real signed event
and refuses a forged one, and its table names exactly the data each event carries."""

from __future__ import annotations

import base64
import contextlib
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from call_logger.core.events import Announce, call_recorded, callback_done, signature_headers
from call_logger.core.events import state_changed as state_event
from call_logger.core.notification import StateNotification

from tests.support.docs import DOCS, section

SECRET = "whsec_" + base64.b64encode(b"d" * 32).decode()
AT = datetime(2025, 11, 25, 16, 0, 30, tzinfo=UTC)
ANNOUNCE = Announce("Shop", AT)
RECORD: dict[str, Any] = {
    "instanceId": 1101000001,
    "chatId": "79001234567@c.us",
    "callId": "A1B2",
    "status": "missed",
    "label": "Missed call",
    "callerName": "Ivan Petrov",
    "eventAt": AT,
    "source": "webhook",
    "direction": "incoming",
}
EVENTS = {
    "call.recorded": call_recorded(ANNOUNCE, "A1B2_missed", RECORD),
    "callback.done": callback_done(
        ANNOUNCE, 1101000001, "79001234567@c.us", "Ivan", AT, AT + timedelta(minutes=5), "call"
    ),
    "instance.state_changed": state_event(
        ANNOUNCE, StateNotification(1101000001, "blocked", int(AT.timestamp()), None), None
    ),
}


def receiver_example() -> dict[str, Any]:
    text = (DOCS / "events.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(code.replace('"whsec_..."', repr(SECRET)), namespace)
    return namespace


def test_the_receiver_example_takes_a_signed_event_once_and_refuses_a_forged_one() -> None:
    receive = receiver_example()["receive"]
    event = EVENTS["call.recorded"]
    body = event.body().encode()
    headers = signature_headers(SECRET, event.id, event.body(), datetime.now(UTC))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert receive(body, headers) == 204
        assert receive(body, headers) == 204  # a redelivery: kept once
    assert printed.getvalue() == "call.recorded 79001234567@c.us\n"
    assert receive(body.replace(b"missed", b"answer"), headers) == 400


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_the_table_names_each_events_data(kind: str) -> None:
    table = section("events.md", "The events")
    (row,) = [line for line in table.splitlines() if line.startswith(f"| `{kind}` |")]
    documented = set(re.findall(r"`([a-zA-Z]+)`", row.split("|")[3]))
    assert set(EVENTS[kind].data) <= documented
    assert documented - set(EVENTS[kind].data) <= {"call", "message"}  # values of `via`
