"""The product's own reply is never a call-back, whatever its timing: GREEN-API's webhook about it
(outgoingAPIMessageReceived) is known by its replyId, else by its text within the cooldown. The
deployed function of each cloud, its store and the fake GREEN-API."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, post, records, sample
from tests.support.backends import Backend, Client

CALLER = "79001234567@c.us"
CHAT = f"chats/1101000001_{CALLER}"
REPLY = "Sorry we missed your call. We will call you back."


@pytest.fixture
def client(make_client: ClientFactory, fake_green_api: FakeGreenApi) -> Client:
    return make_client(
        GREEN_API_URL=fake_green_api.url,
        GREEN_API_ID_INSTANCE=str(fake_green_api.instance_id),
        GREEN_API_TOKEN=fake_green_api.token,
        CONTACT_LOOKUP_BUDGET="1",
        MISSED_CALL_REPLY=REPLY,
    )


def api_message(message_id: str, at: datetime, text: str) -> dict[str, Any]:
    """GREEN-API's webhook about a message sent through the API, as it echoes a sendMessage."""
    return sample("outgoing-message-received") | {
        "typeWebhook": "outgoingAPIMessageReceived",
        "timestamp": int(at.timestamp()),
        "idMessage": message_id,
        "messageData": {"typeMessage": "textMessage", "textMessageData": {"textMessage": text}},
    }


def missed_call_replied(
    client: Client, backend: Backend, age: int = 0
) -> tuple[str, dict[str, Any]]:
    """A missed call `age` seconds old (fresh enough for a reply), recorded and replied to: its
    record's path and fields."""
    call = sample("incoming-call-missed") | {"from": CALLER, "timestamp": int(time.time()) - age}
    assert post(client, call).status_code == 200
    ((path, record),) = records(backend).items()
    assert record["replyText"] == REPLY
    return path, record


def awaiting(backend: Backend) -> bool:
    return bool(backend.documents()[CHAT]["awaitingCallback"])


def test_a_reply_whose_webhook_comes_after_the_look_again_is_no_call_back(
    client: Client, backend: Backend
) -> None:
    path, record = missed_call_replied(client, backend, age=11 * 60)
    # The send timed out in our eyes (no replyId) and was delivered; the queue stalled, and its
    # webhook comes ten minutes after the claim, long after the 30 s look-again.
    backend.set_field(path, "replyId", None)
    claimed = datetime.now(UTC) - timedelta(minutes=10)
    backend.set_field(CHAT, "lastReplyAt", claimed)
    late = api_message(record["replyId"], claimed + timedelta(seconds=5), REPLY)
    assert post(client, late).status_code == 200
    assert awaiting(backend)
    # A person writing through the API is a call-back.
    person = api_message("BY-A-PERSON", datetime.now(UTC), "Hello, calling you back now")
    assert post(client, person).status_code == 200
    assert not awaiting(backend)


def test_a_reply_whose_id_was_never_noted_is_no_call_back_at_once(
    client: Client, backend: Backend
) -> None:
    path, record = missed_call_replied(client, backend)
    backend.set_field(path, "replyId", None)  # the note after the send failed
    started = time.monotonic()
    assert post(client, api_message(record["replyId"], datetime.now(UTC), REPLY)).status_code == 200
    assert awaiting(backend)
    assert time.monotonic() - started < 2  # known by its text: no look-again for its id


def test_the_same_text_after_the_cooldown_is_a_call_back(client: Client, backend: Backend) -> None:
    path, _ = missed_call_replied(client, backend)
    backend.set_field(path, "replyId", None)
    claimed = datetime.now(UTC) - timedelta(hours=13)  # MISSED_CALL_REPLY_COOLDOWN is 12 h
    backend.set_field(CHAT, "lastReplyAt", claimed)
    assert post(client, api_message("LATER", datetime.now(UTC), REPLY)).status_code == 200
    assert not awaiting(backend)
