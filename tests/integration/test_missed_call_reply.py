"""The automatic reply to a missed call and the operator notice list: the deployed entry point of
each cloud (parametrised `backend`) against its store and the fake GREEN-API server on loopback."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devserver.fake_green_api import FOREVER, FakeGreenApi
from tests.conftest import ClientFactory, post, records, sample
from tests.support.backends import Backend, Client

CALLER = "79001234567@c.us"
CHAT = f"chats/1101000001_{CALLER}"
OPERATOR = "79000000001@c.us"
REPLY = "Sorry we missed your call, {name}. We will call you back."


def call(status: str = "missed", **changes: Any) -> dict[str, Any]:
    """A call notification from now (fresh enough for a reply) unless `timestamp` is given."""
    fresh = {"timestamp": int(time.time())}
    return sample("incoming-call-offer") | {"status": status} | fresh | changes


def sent_to(fake: FakeGreenApi, chat_id: str) -> list[str]:
    return [
        request.json["message"]
        for request in fake.requests_for("sendMessage")
        if request.json["chatId"] == chat_id
    ]


@pytest.fixture
def green_app(make_client: ClientFactory, fake_green_api: FakeGreenApi) -> ClientFactory:
    """The function wired to the fake GREEN-API server, with MISSED_CALL_REPLY set."""

    def make(**env: str) -> Client:
        settings = {
            "GREEN_API_URL": fake_green_api.url,
            "GREEN_API_ID_INSTANCE": str(fake_green_api.instance_id),
            "GREEN_API_TOKEN": fake_green_api.token,
            "CONTACT_LOOKUP_BUDGET": "1",
            "MISSED_CALL_REPLY": REPLY,
        }
        return make_client(**(settings | env))

    return make


def test_one_reply_per_missed_call_never_on_redelivery(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    fake_green_api.set_contact(CALLER, contact_name="Ivan")
    client = green_app()
    missed = call()
    for body in (call("offer"), missed, missed):
        assert post(client, body).status_code == 200
    text = "Sorry we missed your call, Ivan. We will call you back."
    assert sent_to(fake_green_api, CALLER) == [text]
    found = records(backend)
    (record,) = (r for r in found.values() if r["status"] == "missed")
    assert record["replyText"] == text
    assert record["replyId"].startswith("BAE5")
    (offer,) = (r for r in found.values() if r["status"] == "offer")
    assert "replyText" not in offer
    assert isinstance(backend.documents()[CHAT]["lastReplyAt"], datetime)


def test_a_second_call_within_the_cooldown_gets_no_reply(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    client = green_app(MISSED_CALL_REPLY_COOLDOWN="12h")
    assert post(client, call(idMessage="FIRST")).status_code == 200
    assert post(client, call("declined", idMessage="SECOND")).status_code == 200
    assert len(sent_to(fake_green_api, CALLER)) == 1
    assert len(records(backend)) == 2


def test_a_call_after_the_cooldown_gets_a_reply_again(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    client = green_app(MISSED_CALL_REPLY_COOLDOWN="12h")
    post(client, call(idMessage="FIRST"))
    backend.set_field(CHAT, "lastReplyAt", datetime.now(UTC) - timedelta(hours=12, minutes=1))
    post(client, call(idMessage="SECOND"))
    assert len(sent_to(fake_green_api, CALLER)) == 2


def test_two_concurrent_notifications_of_one_chat_send_one_reply(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    # Two function instances; each has read the chat (and is waiting for its name lookup) before
    # either commits, so both decide to reply and the chat's precondition settles it.
    first, second = green_app(CONTACT_LOOKUP_BUDGET="20"), green_app(CONTACT_LOOKUP_BUDGET="20")
    fake_green_api.fail("getContactInfo", hang=FOREVER)
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda c=c, b=b: answers.append(post(c, b).status_code))
        for c, b in ((first, call(idMessage="ONE")), (second, call("declined", idMessage="TWO")))
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60  # a safety net against a hung test, not a speed limit
    while len(fake_green_api.requests_for("getContactInfo")) < 2:
        assert time.monotonic() < deadline, "the two notifications never both read the chat"
        time.sleep(0.01)
    fake_green_api.release()
    for thread in threads:
        thread.join()
    assert answers == [200, 200]
    assert len(sent_to(fake_green_api, CALLER)) == 1
    replied = [r for r in records(backend).values() if "replyText" in r]
    assert len(replied) == 1 and len(records(backend)) == 2


@pytest.mark.parametrize("chat_id", ["120363000000000000@g.us", "status@broadcast"])
def test_no_reply_to_a_group_or_anything_but_a_person(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend, chat_id: str
) -> None:
    assert post(green_app(), call(**{"from": chat_id})).status_code == 200
    assert fake_green_api.requests_for("sendMessage") == []
    (record,) = records(backend).values()
    assert "replyText" not in record


def test_a_call_from_a_lid_chat_gets_the_reply(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    post(green_app(), call(**{"from": "123456789012345@lid"}))
    assert len(sent_to(fake_green_api, "123456789012345@lid")) == 1


@pytest.mark.parametrize(("minutes_ago", "replies"), [(14, 1), (16, 0)])
def test_only_fresh_calls_get_a_reply(
    green_app: ClientFactory,
    fake_green_api: FakeGreenApi,
    backend: Backend,
    minutes_ago: int,
    replies: int,
) -> None:
    ended = int(time.time()) - minutes_ago * 60
    post(green_app(MISSED_CALL_REPLY_MAX_AGE="15m"), call(timestamp=ended))
    assert len(sent_to(fake_green_api, CALLER)) == replies


def test_business_hours_in_a_non_utc_zone_across_a_dst_change(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    client = green_app(
        BUSINESS_HOURS="mon-fri 09:00-18:00",
        TIMEZONE="Europe/Berlin",
        MISSED_CALL_REPLY_AFTER_HOURS="We open at 9, {name}.",
        MISSED_CALL_REPLY_MAX_AGE="36500d",  # these calls are from March 2026
    )
    # 09:00 in Berlin is 08:00 UTC before the change to summer time (Sunday 2026-03-29), and
    # 07:00 UTC after it. One chat per call, so no cooldown is involved.
    calls = {
        "79000000011@c.us": ("2026-03-27T07:59:59", "We open at 9."),
        "79000000012@c.us": (
            "2026-03-27T08:00:00",
            "Sorry we missed your call. We will call you back.",
        ),
        "79000000013@c.us": ("2026-03-30T06:59:59", "We open at 9."),
        "79000000014@c.us": (
            "2026-03-30T07:00:00",
            "Sorry we missed your call. We will call you back.",
        ),
    }
    for chat_id, (ended, _) in calls.items():
        timestamp = int(datetime.fromisoformat(ended).replace(tzinfo=UTC).timestamp())
        changes: dict[str, Any] = {"from": chat_id, "timestamp": timestamp}
        assert post(client, call(**changes)).status_code == 200
    assert {chat_id: sent_to(fake_green_api, chat_id) for chat_id in calls} == {
        chat_id: [text] for chat_id, (_, text) in calls.items()
    }


@pytest.mark.parametrize(
    ("mode", "notices"),
    [
        (
            "all",
            [
                "Incoming call from Ivan Petrov +79001234567",
                "Dropped call from Ivan Petrov +79001234567",
            ],
        ),
        ("results", ["Missed call from Ivan Petrov +79001234567"]),
    ],
)
def test_modes_reply_and_notice_with_the_label(
    green_app: ClientFactory,
    fake_green_api: FakeGreenApi,
    backend: Backend,
    mode: str,
    notices: list[str],
) -> None:
    fake_green_api.set_contact(CALLER, contact_name="Ivan Petrov")
    client = green_app(
        CALL_MODE=mode, OPERATOR_CHAT_ID=OPERATOR, OPERATOR_NOTIFY_ON="offer,hungUp,missed"
    )
    for body in (call("offer"), call("hungUp"), call("hungUp")):
        assert post(client, body).status_code == 200
    assert sent_to(fake_green_api, OPERATOR) == notices
    assert sent_to(fake_green_api, CALLER) == [
        "Sorry we missed your call, Ivan Petrov. We will call you back."
    ]


def test_operator_notice_default_is_the_ringing_call_only(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    client = green_app(OPERATOR_CHAT_ID=OPERATOR, MISSED_CALL_REPLY="")
    for status in ("offer", "missed"):
        post(client, call(status))
    assert sent_to(fake_green_api, OPERATOR) == ["Incoming call from +79001234567"]
    assert sent_to(fake_green_api, CALLER) == []


FAILURES: dict[str, tuple[dict[str, Any], int, str]] = {
    "429": ({"status": 429}, logging.WARNING, "HTTP 429"),
    "466": ({"status": 466, "body": {"message": "quota exceeded"}}, logging.WARNING, "quota"),
    "500": ({"status": 500}, logging.WARNING, "HTTP 500"),
    "hang": ({"hang": FOREVER}, logging.WARNING, "no complete answer within 1 s"),
    "401": ({"status": 401}, logging.ERROR, "HTTP 401"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failed_reply_is_logged_never_fails_the_call_nor_is_retried(
    green_app: ClientFactory,
    fake_green_api: FakeGreenApi,
    backend: Backend,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    how, level, reason = FAILURES[failure]
    caplog.set_level(logging.INFO)
    fake_green_api.fail("sendMessage", **how)
    client = green_app()
    missed = call()
    assert post(client, missed).status_code == 200
    fake_green_api.release()
    fake_green_api.clear_faults()
    assert post(client, missed).status_code == 200  # a redelivery does not try again
    assert len(fake_green_api.requests_for("sendMessage")) == 1
    (record,) = records(backend).values()
    assert "replyId" not in record
    assert reason in record["replyError"]
    (logged,) = [r for r in caplog.records if getattr(r, "event", "") == "reply.failed"]
    assert logged.levelno == level
    assert reason in logged.getMessage()
    assert fake_green_api.token not in caplog.text


def test_the_reply_is_logged_with_its_id_and_a_masked_chat(
    green_app: ClientFactory,
    fake_green_api: FakeGreenApi,
    backend: Backend,
    capsys: pytest.CaptureFixture[str],
) -> None:
    post(green_app(), call())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    (logged,) = [line for line in lines if line.get("event") == "reply.sent"]
    (record,) = records(backend).values()
    assert logged["replyId"] == record["replyId"]
    assert logged["chatId"] == "7900***4567@c.us"


def test_without_a_green_api_token_nothing_is_claimed(
    make_client: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    post(make_client(MISSED_CALL_REPLY=REPLY), call())
    assert "lastReplyAt" not in backend.documents()[CHAT]
    assert fake_green_api.requests == []
