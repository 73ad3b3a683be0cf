"""Call-back tracking through the deployed function, on both stores: which notifications handle a
missed call, in any order, and what an outgoing message to a chat that never called costs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import Client, ClientFactory, post, sample
from tests.support.backends import Backend

CHAT = "chats/1101000001_79001234567@c.us"
T0 = 1764086400  # 2025-11-25 16:00 UTC


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


def incoming(status: str, seconds: int, call_id: str = "C1") -> dict[str, Any]:
    return sample("incoming-call-offer") | {
        "status": status,
        "timestamp": T0 + seconds,
        "idMessage": call_id.ljust(32, "0"),
    }


def outgoing_call(status: str, seconds: int, call_id: str = "OUT1") -> dict[str, Any]:
    return sample("outgoing-call") | {
        "status": status,
        "timestamp": T0 + seconds,
        "idMessage": call_id,
    }


def message(seconds: int, message_id: str = "M1", api: bool = False) -> dict[str, Any]:
    kind = "outgoingAPIMessageReceived" if api else "outgoingMessageReceived"
    return sample("outgoing-message-received") | {
        "typeWebhook": kind,
        "timestamp": T0 + seconds,
        "idMessage": message_id,
    }


def deliver(client: Client, *bodies: dict[str, Any]) -> None:
    for body in bodies:
        assert post(client, body).status_code == 200


def callback_fields(backend: Backend) -> dict[str, Any]:
    chat = backend.documents()[CHAT]
    return {
        name: chat[name]
        for name in (
            "lastMissedAt",
            "lastAnsweredAt",
            "lastOutgoingCallAt",
            "lastOutgoingMessageAt",
            "awaitingCallback",
        )
        if name in chat
    }


@pytest.mark.parametrize(
    ("after", "handled_by"),
    [
        (incoming("pickUp", 600, "C2"), {"lastAnsweredAt": at(600)}),
        (outgoing_call("pickUp", 600), {"lastOutgoingCallAt": at(600)}),
        (message(600), {"lastOutgoingMessageAt": at(600)}),
    ],
    ids=["answered-call", "answered-outgoing-call", "outgoing-message"],
)
def test_a_missed_call_is_handled_by(
    make_client: ClientFactory,
    backend: Backend,
    after: dict[str, Any],
    handled_by: dict[str, datetime],
) -> None:
    client = make_client()
    deliver(client, incoming("offer", 0), incoming("declined", 30))
    assert callback_fields(backend) == {"lastMissedAt": at(30), "awaitingCallback": True}

    deliver(client, after)

    assert callback_fields(backend) == {
        "lastMissedAt": at(30),
        **handled_by,
        "awaitingCallback": False,
    }


def test_an_unanswered_outgoing_call_handles_nothing(
    make_client: ClientFactory, backend: Backend
) -> None:
    client = make_client()
    deliver(client, incoming("missed", 30), outgoing_call("hungUp", 600))

    assert callback_fields(backend) == {"lastMissedAt": at(30), "awaitingCallback": True}
    record = backend.documents()[f"{CHAT}/records/OUT1_hungUp"]
    assert (record["direction"], record["label"]) == ("outgoing", "Unanswered outgoing call")


def test_outgoing_calls_are_records_with_their_direction(
    make_client: ClientFactory, backend: Backend
) -> None:
    deliver(make_client(), outgoing_call("pickUp", 0))

    record = backend.documents()[f"{CHAT}/records/OUT1_pickUp"]
    assert (record["direction"], record["label"], record["status"]) == (
        "outgoing",
        "Outgoing call",
        "pickUp",
    )
    assert callback_fields(backend) == {"lastOutgoingCallAt": at(0), "awaitingCallback": False}


def test_a_message_to_a_chat_that_never_called_stores_nothing(
    make_client: ClientFactory, backend: Backend
) -> None:
    deliver(make_client(), message(0), message(5, "M2", api=True))

    assert backend.documents() == {}


def test_messages_do_not_count_without_callback_by_message(
    make_client: ClientFactory, backend: Backend
) -> None:
    client = make_client(CALLBACK_BY_MESSAGE="false")
    deliver(client, incoming("missed", 30), message(600))

    assert callback_fields(backend) == {"lastMissedAt": at(30), "awaitingCallback": True}


def test_the_products_own_reply_is_no_call_back(
    make_client: ClientFactory, backend: Backend
) -> None:
    client = make_client()
    deliver(client, incoming("missed", 30))
    backend.set_field(f"{CHAT}/records/{'C1'.ljust(32, '0')}_missed", "replyId", "REPLY1")

    deliver(client, message(35, "REPLY1", api=True))
    assert callback_fields(backend) == {"lastMissedAt": at(30), "awaitingCallback": True}

    deliver(client, message(600, "M2", api=True))  # a person writing through the API
    assert callback_fields(backend)["awaitingCallback"] is False


def test_order_of_arrival_does_not_matter(make_client: ClientFactory, backend: Backend) -> None:
    client = make_client()
    # A message, then a newer missed call, then an older answered call arriving late.
    deliver(client, incoming("pickUp", 0, "C0"), message(100), incoming("missed", 200, "C2"))
    deliver(client, incoming("pickUp", 50, "C1"), message(150, "M0"), message(100))
    assert callback_fields(backend) == {
        "lastMissedAt": at(200),
        "lastAnsweredAt": at(50),
        "lastOutgoingMessageAt": at(150),
        "awaitingCallback": True,
    }

    # A missed call older than the newest message arriving last leaves the chat handled.
    deliver(client, message(300, "M3"), incoming("missed", 250, "C3"))
    assert callback_fields(backend) == {
        "lastMissedAt": at(250),
        "lastAnsweredAt": at(50),
        "lastOutgoingMessageAt": at(300),
        "awaitingCallback": False,
    }
