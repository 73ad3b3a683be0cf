"""One caller, one person, whichever id WhatsApp gives (`...@lid` in one notification, the phone's
`...@c.us` in another). GREEN-API's checkWhatsapp answers a phone chat id's lid: learnt with the
caller's name, it links the two chats, so that call-backs, the reply cooldown, the report's people
and the digest count one person once. The deployed function of each cloud, its store and the fake
GREEN-API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from call_logger.cli import main

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, as_a_fresh_process, incoming_call, post, sample
from tests.support.backends import Backend, Client

PHONE = "79001234567@c.us"
LID = "120363012345678901@lid"
INSTANCE = 1101000001


@pytest.fixture
def client(
    make_client: ClientFactory, fake_green_api: FakeGreenApi, monkeypatch: pytest.MonkeyPatch
) -> Client:
    fake_green_api.set_lid(PHONE, LID)
    fake_green_api.set_contact(PHONE, contact_name="Ivan")
    settings = {
        "GREEN_API_URL": fake_green_api.url,
        "GREEN_API_ID_INSTANCE": str(fake_green_api.instance_id),
        "GREEN_API_TOKEN": fake_green_api.token,
        "CONTACT_LOOKUP_BUDGET": "1",
    }
    built = make_client(**settings)
    for name, value in settings.items():  # the commands read the same settings
        monkeypatch.setenv(name, value)
    return built


def call(chat_id: str, status: str, ago: int, call_id: str) -> dict[str, Any]:
    return incoming_call(chat_id, status, int(time.time()) - ago, call_id.ljust(32, "0"))


def called_back(chat_id: str, ago: int) -> dict[str, Any]:
    """An answered call the business made to `chat_id`."""
    return sample("outgoing-call") | {
        "from": chat_id,
        "timestamp": int(time.time()) - ago,
        "idMessage": f"OUT{ago}",
        "participants": [{"chatId": chat_id, "status": "pickUp"}],
    }


def messaged(chat_id: str, ago: int) -> dict[str, Any]:
    body = sample("outgoing-message-received")
    return body | {
        "timestamp": int(time.time()) - ago,
        "idMessage": f"MSG{ago}",
        "senderData": body["senderData"] | {"chatId": chat_id},
    }


def deliver(client: Client, *bodies: dict[str, Any]) -> None:
    for body in bodies:
        assert post(client, body).status_code == 200


def figures(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    as_a_fresh_process()
    capsys.readouterr()
    assert main(["calls", "report", "--json"]) == 0
    found: dict[str, Any] = json.loads(capsys.readouterr().out)
    return found


def waiting(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = figures(capsys)["awaiting_callback"]
    return people


def test_a_lid_call_called_back_on_the_phone_number_waits_no_more(
    client: Client, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    deliver(client, call(LID, "missed", 600, "L1"))
    assert [person["chatId"] for person in waiting(capsys)] == [LID]  # no link known yet
    deliver(client, called_back(PHONE, 300))  # typed to the phone number: the link is learnt
    chats = backend.documents()
    assert chats[f"chats/{INSTANCE}_{PHONE}"]["lid"] == LID
    assert chats[f"chats/{INSTANCE}_{LID}"]["person"] == PHONE
    found = figures(capsys)
    assert found["awaiting_callback"] == []
    assert found["callback_within_target_rate"] == 1.0  # the SLA sees the call-back too


def test_a_phone_call_called_back_by_a_message_to_the_lid_waits_no_more(
    client: Client, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    deliver(client, call(PHONE, "missed", 600, "P1"))  # the name lookup learns the lid
    deliver(client, messaged(LID, 300))  # the reply typed in the chat WhatsApp shows by lid
    assert backend.documents()[f"chats/{INSTANCE}_{PHONE}"]["awaitingCallback"] is False
    assert waiting(capsys) == []


def test_both_ids_calls_are_one_person_in_the_report_and_the_digest(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    deliver(client, call(PHONE, "missed", 90, "P1"), call(LID, "declined", 60, "L1"))
    (person,) = waiting(capsys)
    assert (person["chatId"], person["phone"], person["callerName"]) == (
        PHONE,
        "+79001234567",
        "Ivan",
    )
    assert person["missed"] == 2
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 60))
    assert main(["calls", "digest", "--date", day]) == 0
    assert "Ivan +79001234567 (2 missed" in capsys.readouterr().out


def test_one_reply_cooldown_for_both_ids(
    make_client: ClientFactory,
    client: Client,
    fake_green_api: FakeGreenApi,
) -> None:
    replying = make_client(
        GREEN_API_URL=fake_green_api.url,
        GREEN_API_ID_INSTANCE=str(fake_green_api.instance_id),
        GREEN_API_TOKEN=fake_green_api.token,
        CONTACT_LOOKUP_BUDGET="1",
        MISSED_CALL_REPLY="Sorry we missed your call",
    )
    deliver(replying, call(LID, "missed", 120, "L1"), call(PHONE, "missed", 60, "P1"))
    assert [m["chatId"] for m in fake_green_api.messages] == [LID]  # the phone call: no second
