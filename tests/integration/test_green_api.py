"""GreenApiClient against the fake GREEN-API server: the documented shapes, the call journal and
what loads lazily (retries and faults: test_green_api_retries.py; the token:
test_green_api_token.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from call_logger.green_api import (
    ContactInfo,
    GreenApiClient,
    GreenApiError,
    Notification,
)
from call_logger.settings.config import Config

from devserver.fake_green_api import FOREVER, FakeGreenApi
from tests.conftest import SAMPLES

CHAT = "79001234567@c.us"


# -- shapes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contact_name", "name", "expected"),
    [
        ("Ivan Petrov", "Ivan", "Ivan Petrov"),
        ("", "Ivan", "Ivan"),
        ("   ", " Ivan ", "Ivan"),
        ("", "", None),
    ],
)
def test_contact_name_preference(
    fake_green_api: FakeGreenApi,
    client: GreenApiClient,
    contact_name: str,
    name: str,
    expected: str | None,
) -> None:
    fake_green_api.set_contact(CHAT, contact_name=contact_name, name=name)

    assert client.get_contact_info(CHAT, budget=3) == ContactInfo(name=expected)

    [request] = fake_green_api.requests_for("getContactInfo")
    assert (request.verb, request.json) == ("POST", {"chatId": CHAT})


def test_send_message_returns_id(fake_green_api: FakeGreenApi, client: GreenApiClient) -> None:
    message_id = client.send_message(CHAT, "Incoming call from Ivan", budget=5)

    assert message_id
    assert fake_green_api.messages == [{"chatId": CHAT, "message": "Incoming call from Ivan"}]


def test_settings_round_trip(fake_green_api: FakeGreenApi, client: GreenApiClient) -> None:
    assert client.set_settings({"incomingCallWebhook": "yes"}) == {"saveSettings": True}
    assert client.get_settings()["incomingCallWebhook"] == "yes"


def test_receive_and_delete(fake_green_api: FakeGreenApi, client: GreenApiClient) -> None:
    first = fake_green_api.enqueue({"typeWebhook": "incomingCall"})
    second = fake_green_api.enqueue("not an object")  # the poller validates, not the client

    expected = Notification(receipt_id=first, body={"typeWebhook": "incomingCall"})
    assert client.receive_notification(5) == expected
    assert client.receive_notification(5) == expected  # until deleted
    assert client.delete_notification(first) is True
    assert client.receive_notification(5) == Notification(second, "not an object")
    assert client.delete_notification(second) is True
    assert client.receive_notification(5) is None  # JSON null: empty queue
    assert client.delete_notification(second) is False

    assert fake_green_api.requests_for("receiveNotification")[0].query == {"receiveTimeout": "5"}
    assert fake_green_api.requests_for("deleteNotification")[0].verb == "DELETE"


def test_from_config(fake_green_api: FakeGreenApi) -> None:
    base = Config(green_api_url=fake_green_api.url)
    assert GreenApiClient.from_config(base) is None
    assert GreenApiClient.from_config(Config(instance_id=1, green_api_token="")) is None
    assert GreenApiClient.from_config(Config(green_api_token=fake_green_api.token)) is None

    config = Config(
        green_api_url=fake_green_api.url,
        instance_id=fake_green_api.instance_id,
        green_api_token=fake_green_api.token,
    )
    client = GreenApiClient.from_config(config)
    assert client is not None
    with client:
        assert client.get_settings()["incomingWebhook"] == "no"


def test_hot_path_modules_do_not_import_requests() -> None:
    # green_api (and requests) load lazily, only when a call needs the API.
    code = (
        "import sys, call_logger, call_logger.settings.config, call_logger.cli; "
        "loaded = {'requests', 'urllib3', 'call_logger.green_api'} & set(sys.modules); "
        "sys.exit(sorted(loaded) or 0)"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root / "function")},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# -- the call journal -------------------------------------------------------------------------


def test_last_incoming_calls_returns_the_journal_newest_first(
    fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    documented = json.loads((SAMPLES / "last-incoming-calls-response.json").read_text())
    fake_green_api.journal = list(reversed(documented))
    assert client.last_incoming_calls(10 * 365 * 1440) == documented
    assert fake_green_api.requests_for("lastIncomingCalls")[0].query == {
        "minutes": str(10 * 365 * 1440)
    }


@pytest.mark.parametrize(
    ("fault", "status"),
    [({"status": 429}, 429), ({"status": 500}, 500), ({"bad_json": True}, None)],
)
def test_last_incoming_calls_failures_are_retryable_errors(
    fake_green_api: FakeGreenApi, client: GreenApiClient, fault: dict[str, Any], status: int | None
) -> None:
    fake_green_api.fail("lastIncomingCalls", **fault)
    with pytest.raises(GreenApiError) as caught:
        client.last_incoming_calls(60)
    assert (caught.value.status, caught.value.retryable) == (status, True)
    assert len(fake_green_api.requests_for("lastIncomingCalls")) == 1  # the next run retries


def test_last_incoming_calls_hanging_answer_times_out(fake_green_api: FakeGreenApi) -> None:
    fake_green_api.fail("lastIncomingCalls", hang=FOREVER)
    api = GreenApiClient(
        fake_green_api.url, fake_green_api.instance_id, fake_green_api.token, timeout=(1, 0.3)
    )
    with api, pytest.raises(GreenApiError, match="timed out") as caught:
        api.last_incoming_calls(60)
    assert caught.value.retryable


def test_last_incoming_calls_answer_must_be_an_array(
    fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    fake_green_api.fail("lastIncomingCalls", status=200, body={"calls": []})
    with pytest.raises(GreenApiError, match="not a JSON array"):
        client.last_incoming_calls(60)
