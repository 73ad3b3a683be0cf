"""Caller names from GetContactInfo and the operator notice: the function against the emulator and
the fake GREEN-API server, both on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, post, records, sample
from tests.support.backends import Backend, Client

CALLER = "79001234567@c.us"
CHAT = f"chats/1101000001_{CALLER}"


def call(status: str, **changes: Any) -> dict[str, Any]:
    return sample("incoming-call-offer") | {"status": status} | changes


@pytest.fixture
def green_app(make_client: ClientFactory, fake_green_api: FakeGreenApi) -> ClientFactory:
    """The function wired to the fake GREEN-API server."""

    def make(**env: str) -> Client:
        settings = {
            "GREEN_API_URL": fake_green_api.url,
            "GREEN_API_ID_INSTANCE": str(fake_green_api.instance_id),
            "GREEN_API_TOKEN": fake_green_api.token,
            "CONTACT_LOOKUP_BUDGET": "1",
        }
        return make_client(**(settings | env))

    return make


def lookups(fake: FakeGreenApi) -> int:
    return len(fake.requests_for("getContactInfo"))


@pytest.mark.parametrize(
    ("contact_name", "name", "expected"),
    [("Ivan Petrov", "Ivan", "Ivan Petrov"), ("", "Ivan", "Ivan"), ("", "", None)],
)
def test_name_preference(
    green_app: ClientFactory,
    fake_green_api: FakeGreenApi,
    backend: Backend,
    contact_name: str,
    name: str,
    expected: str | None,
) -> None:
    fake_green_api.set_contact(CALLER, contact_name=contact_name, name=name)
    assert post(green_app(), call("offer")).status_code == 200
    (record,) = records(backend).values()
    assert record["callerName"] == expected
    chat = backend.documents()[CHAT]
    assert chat["callerName"] == expected
    assert isinstance(chat["callerNameCheckedAt"], datetime)
    assert fake_green_api.requests_for("getContactInfo")[0].json == {"chatId": CALLER}


def test_two_calls_from_one_chat_cost_one_lookup(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    fake_green_api.set_contact(CALLER, contact_name="Ivan Petrov")
    client = green_app()
    for body in (call("offer"), call("pickUp"), call("offer", idMessage="B", timestamp=1764090000)):
        assert post(client, body).status_code == 200
    assert lookups(fake_green_api) == 1
    assert {record["callerName"] for record in records(backend).values()} == {"Ivan Petrov"}


def test_a_name_that_was_not_found_is_cached_too(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    client = green_app()
    post(client, call("offer"))
    post(client, call("pickUp"))
    assert lookups(fake_green_api) == 1


def test_an_expired_lookup_is_made_again(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    fake_green_api.set_contact(CALLER, contact_name="Ivan")
    client = green_app(CONTACT_CACHE_TTL="24h")
    post(client, call("offer"))
    fake_green_api.set_contact(CALLER, contact_name="Ivan Petrov")
    old = datetime.now(UTC) - timedelta(hours=25)
    backend.set_field(CHAT, "callerNameCheckedAt", old)
    post(client, call("pickUp"))
    assert lookups(fake_green_api) == 2
    assert backend.documents()[CHAT]["callerName"] == "Ivan Petrov"
    assert records(backend)[f"{CHAT}/records/A1B2C3D4E5F60718293A4B5C6D7E8F90_pickUp"][
        "callerName"
    ] == ("Ivan Petrov")


FAULTS: dict[str, dict[str, Any]] = {
    "429": {"status": 429},
    "400": {"status": 400},
    "466": {"status": 466},
    "500": {"status": 500},
    "hang": {"hang": 30},
    "drop": {"drop": True},
    "bad json": {"bad_json": True},
    "trickle": {"trickle": 0.5},
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failed_lookup_never_fails_the_notification(
    green_app: ClientFactory,
    fake_green_api: FakeGreenApi,
    backend: Backend,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    caplog.set_level("DEBUG")
    fake_green_api.set_contact(CALLER, contact_name="Ivan Petrov")
    fake_green_api.fail("getContactInfo", times=1, **FAULTS[fault])
    client = green_app()
    assert post(client, call("offer")).status_code == 200
    (record,) = records(backend).values()
    assert record["callerName"] is None
    assert lookups(fake_green_api) == 1  # not retried inline (1 request/s per instance)
    fake_green_api.release()
    # The failure is not cached: the next call from that chat tries again.
    assert post(client, call("pickUp")).status_code == 200
    assert lookups(fake_green_api) == 2
    assert backend.documents()[CHAT]["callerName"] == "Ivan Petrov"
    assert fake_green_api.token not in caplog.text


def test_no_green_api_token_means_no_lookups(
    make_client: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    client = make_client(GREEN_API_URL=fake_green_api.url, GREEN_API_ID_INSTANCE="1101000001")
    assert post(client, call("offer")).status_code == 200
    assert fake_green_api.requests == []
    (record,) = records(backend).values()
    assert record["callerName"] is None


def test_operator_notice_once_per_call(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    fake_green_api.set_contact(CALLER, contact_name="Ivan Petrov")
    client = green_app(OPERATOR_CHAT_ID="79000000001@c.us")
    for body in (call("offer"), call("offer"), call("pickUp"), call("offer")):
        assert post(client, body).status_code == 200
    sent = fake_green_api.requests_for("sendMessage")
    assert [request.json for request in sent] == [
        {"chatId": "79000000001@c.us", "message": "Incoming call from Ivan Petrov +79001234567"}
    ]


def test_operator_notice_template_and_unknown_name(
    green_app: ClientFactory, fake_green_api: FakeGreenApi, backend: Backend
) -> None:
    client = green_app(
        OPERATOR_CHAT_ID="79000000001@c.us",
        OPERATOR_MESSAGE_TEMPLATE="Звонок: {name} {phone} ({chat_id})",
    )
    post(client, call("offer"))
    (request,) = fake_green_api.requests_for("sendMessage")
    assert request.json["message"] == f"Звонок: +79001234567 ({CALLER})"


@pytest.mark.parametrize(("mode", "notices"), [("results", 0), ("offer", 1)])
def test_operator_notice_only_for_a_status_the_mode_records(
    green_app: ClientFactory,
    fake_green_api: FakeGreenApi,
    backend: Backend,
    mode: str,
    notices: int,
) -> None:
    client = green_app(OPERATOR_CHAT_ID="79000000001@c.us", CALL_MODE=mode)
    post(client, call("offer"))
    assert len(fake_green_api.requests_for("sendMessage")) == notices


def test_a_failed_notice_does_not_fail_the_notification(
    green_app: ClientFactory,
    fake_green_api: FakeGreenApi,
    backend: Backend,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    fake_green_api.fail("sendMessage", status=500)
    client = green_app(OPERATOR_CHAT_ID="79000000001@c.us")
    assert post(client, call("offer")).status_code == 200
    assert len(records(backend)) == 1
    assert "operator notice" in caplog.text
    assert fake_green_api.token not in caplog.text
