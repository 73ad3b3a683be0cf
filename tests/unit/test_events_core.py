"""Events, pure: what each says, its stable id, its signature, the outbox in the write plan,
and what an attempt's answer means (docs/events.md)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from call_logger.core.events import (
    CALL_RECORDED,
    CALLBACK_DONE,
    INSTANCE_STATE_CHANGED,
    Announce,
    Verdict,
    is_failed,
    signature_headers,
    verdict,
)
from call_logger.core.notification import (
    OUTGOING,
    CallNotification,
    StateNotification,
)
from call_logger.core.outbox_plan import (
    with_callback_event,
    with_record_events,
    with_state_event,
)
from call_logger.core.state_plan import StoredState, plan_state
from call_logger.core.write_plan import (
    ChatState,
    Snapshot,
    Source,
    WritePlan,
    plan_outgoing_message,
    plan_write,
)
from call_logger.settings.config import Config, ConfigError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
CALL = CallNotification(1101000001, "79001234567@c.us", "CALL1", "missed", int(AT.timestamp()))
ANNOUNCE = Announce("Shop", AT)


def planned(
    call: CallNotification,
    chat: ChatState | None = None,
    label: str = "Missed call",
    announce: Announce = ANNOUNCE,
) -> WritePlan:
    """The write plan of a recorded call, with its events."""
    plan = plan_write(call, label, Snapshot(chat, False), None, None, Source.WEBHOOK)
    return with_record_events(plan, chat, announce)


def awaiting(missed_at: datetime) -> ChatState:
    return ChatState(
        version=3,
        caller_name="Ivan",
        name_checked_at=AT,
        last_call_at=missed_at,
        times={"lastMissedAt": missed_at},
        awaiting_callback=True,
    )


def test_a_recorded_call_is_one_call_recorded_event_with_the_records_data() -> None:
    (event,) = planned(CALL).events
    assert event.type == CALL_RECORDED
    assert json.loads(event.body()) == {
        "type": "call.recorded",
        "timestamp": "2026-11-30T12:00:00Z",
        "data": {
            "instanceId": 1101000001,
            "instanceLabel": "Shop",
            "chatId": "79001234567@c.us",
            "callerName": None,
            "direction": "incoming",
            "status": "missed",
            "outcome": "missed",
            "label": "Missed call",
            "time": "2026-11-30T12:00:00Z",
            "source": "webhook",
            "callId": "CALL1",
        },
    }


def test_a_plan_has_no_event_until_one_is_announced() -> None:
    plan = plan_write(CALL, "Missed call", Snapshot(None, False), None, None, Source.WEBHOOK)
    assert plan.events == ()


def test_the_id_is_the_records_so_a_replan_gives_the_same_one() -> None:
    def plan_id(call: CallNotification, at: datetime) -> str:
        return planned(call, announce=Announce("Shop", at)).events[0].id

    first = plan_id(CALL, AT)
    assert plan_id(CALL, AT + timedelta(minutes=5)) == first  # a later write of the same record
    other = CallNotification(CALL.instance_id, CALL.chat_id, "CALL1", "pickUp", CALL.timestamp)
    assert plan_id(other, AT) != first
    assert first.startswith("evt_")


def test_an_answered_call_back_ends_the_wait_with_callback_done() -> None:
    back = CallNotification(
        CALL.instance_id, CALL.chat_id, "CALL2", "pickUp", int(AT.timestamp()) + 600, OUTGOING
    )
    recorded, done = planned(back, awaiting(AT), "Outgoing call").events
    assert (recorded.type, done.type) == (CALL_RECORDED, CALLBACK_DONE)
    assert done.data == {
        "instanceId": 1101000001,
        "instanceLabel": "Shop",
        "chatId": "79001234567@c.us",
        "callerName": "Ivan",
        "via": "call",
        "missedAt": "2026-11-30T12:00:00Z",
        "time": "2026-11-30T12:10:00Z",
        "seconds": 600,
    }


def test_a_caller_who_calls_again_and_is_answered_is_no_call_back() -> None:
    again = CallNotification(
        CALL.instance_id, CALL.chat_id, "CALL2", "pickUp", int(AT.timestamp()) + 60
    )
    plan = planned(again, awaiting(AT), "Answered call")
    assert [event.type for event in plan.events] == [CALL_RECORDED]


def test_a_message_back_is_callback_done_committed_with_the_chat() -> None:
    chat = awaiting(AT)
    write = plan_outgoing_message(chat, AT + timedelta(seconds=90))
    assert write is not None and write.events == ()
    (done,) = with_callback_event(write, chat, ANNOUNCE, CALL.instance_id, CALL.chat_id).events
    assert (done.type, done.data["via"], done.data["seconds"]) == (CALLBACK_DONE, "message", 90)
    handled = ChatState(3, "Ivan", AT, AT, {"lastMissedAt": AT}, awaiting_callback=False)
    assert with_callback_event(write, handled, ANNOUNCE, CALL.instance_id, CALL.chat_id) == write


def test_a_state_change_carries_the_previous_state() -> None:
    stored = StoredState(1, "authorized", AT - timedelta(hours=1))
    notification = StateNotification(1101000001, "notAuthorized", int(AT.timestamp()), None)
    write = plan_state(notification, stored)
    assert write is not None and write.events == ()
    (event,) = with_state_event(write, notification, stored, ANNOUNCE).events
    assert event.type == INSTANCE_STATE_CHANGED
    assert (event.data["state"], event.data["previousState"]) == ("notAuthorized", "authorized")


def test_the_signature_verifies_with_the_standardwebhooks_package() -> None:
    event = planned(CALL).events[0]
    now = datetime.now(UTC)
    headers = signature_headers(SECRET, event.id, event.body(), now)
    assert headers["webhook-id"] == event.id
    assert Webhook(SECRET).verify(event.body(), headers)["type"] == "call.recorded"
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(event.body().replace("Missed", "Answered"), headers)


@pytest.mark.parametrize(
    ("status", "after", "expected"),
    [
        (200, timedelta(0), Verdict.DELIVERED),
        (204, timedelta(hours=30), Verdict.DELIVERED),
        (410, timedelta(0), Verdict.GONE),
        (500, timedelta(hours=23), Verdict.RETRY),
        (None, timedelta(hours=1), Verdict.RETRY),  # no answer in time
        (429, timedelta(hours=24), Verdict.FAILED),
        (None, timedelta(hours=25), Verdict.FAILED),
    ],
)
def test_what_an_answer_means(status: int | None, after: timedelta, expected: Verdict) -> None:
    assert verdict(status, AT, AT + after) is expected


def test_failed_is_marked_or_a_day_past_the_first_attempt() -> None:
    assert is_failed({"state": "failed"}, AT)
    assert is_failed({"firstAttemptAt": AT - timedelta(hours=24)}, AT)
    assert not is_failed({"firstAttemptAt": AT - timedelta(hours=23)}, AT)
    assert not is_failed({}, AT)


def test_events_secret_is_a_standard_webhooks_secret_that_never_shows() -> None:
    config = Config.from_env({"EVENTS_URL": "https://crm.example/hooks", "EVENTS_SECRET": SECRET})
    assert config.events is not None and config.events.url == "https://crm.example/hooks"
    assert SECRET not in repr(config) and SECRET.removeprefix("whsec_") not in repr(config.events)
    assert "crm.example" not in repr(config)  # a receiver's URL may hold a token too
    for env, message in [
        ({"EVENTS_URL": "http://crm.example/hooks", "EVENTS_SECRET": SECRET}, "https://"),
        ({"EVENTS_URL": "https://crm.example", "EVENTS_SECRET": "plain"}, "whsec_"),
        ({"EVENTS_URL": "https://crm.example", "EVENTS_SECRET": "whsec_c2hvcnQ="}, "24 to 64"),
    ]:
        with pytest.raises(ConfigError, match=message) as caught:
            Config.from_env(env)
        assert "plain" not in str(caught.value)
    assert Config.from_env({}).events is None


def test_an_instance_may_have_its_own_events_url() -> None:
    instances = {
        "1101000001": {
            "apiUrl": "https://api.green-api.com",
            "apiTokenInstance": "token0001",
            "eventsUrl": "https://crm.example/a",
        },
        "1101000002": {"apiUrl": "https://api.green-api.com", "apiTokenInstance": "token0002"},
    }
    config = Config.from_env(
        {"GREEN_API_INSTANCES": json.dumps(instances), "EVENTS_SECRET": SECRET}
    )
    own = config.settings_for(1101000001).events
    assert own is not None and (own.url, own.secret) == ("https://crm.example/a", SECRET)
    assert config.settings_for(1101000002).events is None
