"""GreenApiClient against the fake GREEN-API server: shapes, degradations, token hygiene."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from call_logger.green_api import (
    ContactInfo,
    GreenApiClient,
    GreenApiError,
    Notification,
)
from call_logger.green_api_transport import CappedRetry
from call_logger.settings.config import Config
from urllib3.response import HTTPResponse

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


# -- degradations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "budget", "status", "retryable"),
    [
        ({"status": 429}, 3, 429, True),
        ({"status": 500}, 3, 500, True),
        ({"status": 466}, 3, 466, False),
        # 30 s, not forever: if the budget were not enforced the call would return a contact
        # (and fail the test) instead of hanging the suite.
        ({"hang": 30}, 0.5, None, True),
        ({"drop": True}, 3, None, True),
    ],
    ids=["429", "500", "466", "hang-beyond-budget", "dropped-connection"],
)
def test_a_failed_contact_lookup_is_not_retried(
    fake_green_api: FakeGreenApi,
    client: GreenApiClient,
    fault: dict[str, Any],
    budget: float,
    status: int | None,
    retryable: bool,
) -> None:
    fake_green_api.fail("getContactInfo", **fault)

    with pytest.raises(GreenApiError) as caught:
        client.get_contact_info(CHAT, budget=budget)

    assert (caught.value.status, caught.value.retryable) == (status, retryable)
    assert len(fake_green_api.requests_for("getContactInfo")) == 1
    fake_green_api.release()  # a hanging handler


def test_contact_info_trickle_beyond_budget(
    fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    # Headers come at once and every byte well within the read timeout: only a total deadline
    # stops this (the body is ~300 bytes, so ~60 s at this pace).
    fake_green_api.set_contact(CHAT, contact_name="Ivan Petrov")
    fake_green_api.fail("getContactInfo", trickle=0.2)

    with pytest.raises(GreenApiError) as caught:
        client.get_contact_info(CHAT, budget=0.5)

    assert caught.value.status is None
    assert len(fake_green_api.requests_for("getContactInfo")) == 1


def test_contact_info_slow_but_within_budget(
    fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    fake_green_api.set_contact(CHAT, name="Ivan")
    fake_green_api.fail("getContactInfo", hang=0.1, times=1)

    assert client.get_contact_info(CHAT, budget=5) == ContactInfo("Ivan")


def test_send_message_is_never_retried(
    fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    fake_green_api.fail("sendMessage", status=502, times=1)
    with pytest.raises(GreenApiError):
        client.send_message(CHAT, "hi", budget=5)
    fake_green_api.fail("sendMessage", drop=True, times=1)
    with pytest.raises(GreenApiError):
        client.send_message(CHAT, "hi", budget=5)

    assert len(fake_green_api.requests_for("sendMessage")) == 2
    assert fake_green_api.messages == []


def test_bad_json(fake_green_api: FakeGreenApi, client: GreenApiClient) -> None:
    fake_green_api.fail("getSettings", bad_json=True)

    with pytest.raises(GreenApiError) as caught:
        client.get_settings()

    assert caught.value.status is None
    assert len(fake_green_api.requests_for("getSettings")) == 1  # a 200: nothing to retry


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_retried_for_receive_notification(
    fake_green_api: FakeGreenApi, client: GreenApiClient, status: int
) -> None:
    receipt = fake_green_api.enqueue({"typeWebhook": "incomingCall"})
    fake_green_api.fail("receiveNotification", status=status, times=2)

    notification = client.receive_notification(5)

    assert notification is not None
    assert notification.receipt_id == receipt
    assert len(fake_green_api.requests_for("receiveNotification")) == 3


def test_5xx_retries_are_bounded(fake_green_api: FakeGreenApi, client: GreenApiClient) -> None:
    fake_green_api.fail("receiveNotification", status=503)

    with pytest.raises(GreenApiError) as caught:
        client.receive_notification(5)

    assert (caught.value.status, caught.value.retryable) == (503, True)
    assert len(fake_green_api.requests_for("receiveNotification")) == 4  # 1 + 3 retries


def test_429_not_retried_for_receive_notification(
    fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    # With Retry-After, stock urllib3 Retry would retry a 429 despite status_forcelist.
    fake_green_api.fail("receiveNotification", status=429, headers={"Retry-After": "1"})

    with pytest.raises(GreenApiError) as caught:
        client.receive_notification(5)

    assert caught.value.status == 429
    assert len(fake_green_api.requests_for("receiveNotification")) == 1


def test_dropped_connection_retried_for_delete(
    fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    receipt = fake_green_api.enqueue({})
    fake_green_api.fail("deleteNotification", drop=True, times=1)

    assert client.delete_notification(receipt) is True
    assert len(fake_green_api.requests_for("deleteNotification")) == 2


def test_retry_after_respected_on_503(fake_green_api: FakeGreenApi, client: GreenApiClient) -> None:
    fake_green_api.fail("getSettings", status=503, headers={"Retry-After": "0"}, times=1)

    assert client.get_settings()
    assert len(fake_green_api.requests_for("getSettings")) == 2


def test_retry_after_is_capped() -> None:
    retry = CappedRetry(respect_retry_after_header=True)
    response = HTTPResponse(status=503, headers={"Retry-After": "3600"})

    assert retry.get_retry_after(response) == CappedRetry.MAX_RETRY_AFTER


def test_only_idempotent_calls_have_retries(client: GreenApiClient) -> None:
    def retries(method: str) -> object:
        adapter = client._session.get_adapter(f"{client._prefix}/{method}/token")
        return adapter.max_retries  # type: ignore[attr-defined]

    for method in ("getContactInfo", "sendMessage", "setSettings", "lastIncomingCalls"):
        assert getattr(retries(method), "total", None) == 0, method
    for method in ("getSettings", "receiveNotification", "deleteNotification"):
        retry = retries(method)
        assert isinstance(retry, CappedRetry)
        assert 429 not in (retry.status_forcelist or ())
        assert retry.allowed_methods == frozenset({"GET", "DELETE"})


# -- the token never leaks --------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# name -> (method to break, how, the client call that hits it)
FAILURES: dict[str, tuple[str, dict[str, Any], Callable[[GreenApiClient], object]]] = {
    "429": ("getContactInfo", {"status": 429}, lambda c: c.get_contact_info(CHAT, budget=3)),
    "500": ("getContactInfo", {"status": 500}, lambda c: c.get_contact_info(CHAT, budget=3)),
    "503-get": ("getSettings", {"status": 503}, lambda c: c.get_settings()),
    "466": ("sendMessage", {"status": 466}, lambda c: c.send_message(CHAT, "x", budget=5)),
    "hang": ("getContactInfo", {"hang": FOREVER}, lambda c: c.get_contact_info(CHAT, budget=0.3)),
    "hang-get": ("getSettings", {"hang": FOREVER}, lambda c: c.get_settings()),
    "trickle": ("getContactInfo", {"trickle": 0.1}, lambda c: c.get_contact_info(CHAT, budget=0.3)),
    "drop-post": ("setSettings", {"drop": True}, lambda c: c.set_settings({})),
    "drop-get": ("receiveNotification", {"drop": True}, lambda c: c.receive_notification(5)),
    "bad-json": ("getSettings", {"bad_json": True}, lambda c: c.get_settings()),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_token_never_in_errors_or_logs(
    fake_green_api: FakeGreenApi, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    caplog.set_level(logging.DEBUG)
    method, how, call = FAILURES[failure]
    fake_green_api.fail(method, **how)
    # Short read timeout so "hang-get" ends (with its read retry) quickly.
    with (
        GreenApiClient(
            fake_green_api.url,
            fake_green_api.instance_id,
            fake_green_api.token,
            timeout=(1, 0.3),
            backoff_factor=0,
        ) as client,
        pytest.raises(GreenApiError) as caught,
    ):
        call(client)
    fake_green_api.release()

    _assert_clean(caught.value, caplog, fake_green_api.token)
    assert fake_green_api.requests  # the failure really went over the wire


def test_token_never_in_connection_refused_or_wrong_token(
    caplog: pytest.LogCaptureFixture, fake_green_api: FakeGreenApi
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "anotherSecretToken0123456789"
    with GreenApiClient(f"http://127.0.0.1:{_closed_port()}", 1, secret, backoff_factor=0) as api:
        with pytest.raises(GreenApiError) as refused:
            api.get_settings()
        with pytest.raises(GreenApiError) as refused_post:
            api.get_contact_info(CHAT, budget=1)
    with (
        GreenApiClient(fake_green_api.url, fake_green_api.instance_id, secret) as api,
        pytest.raises(GreenApiError) as unauthorized,
    ):
        api.get_settings()

    assert unauthorized.value.status == 401
    for error in (refused.value, refused_post.value, unauthorized.value):
        _assert_clean(error, caplog, secret)


def test_urllib3_debug_log_is_redacted(
    fake_green_api: FakeGreenApi, client: GreenApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    client.get_settings()

    urllib3_lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("/getSettings/***" in line for line in urllib3_lines)  # the filter is active
    assert fake_green_api.token not in caplog.text


def _assert_clean(error: GreenApiError, caplog: pytest.LogCaptureFixture, token: str) -> None:
    assert token not in str(error)
    assert token not in repr(error)
    assert token not in "".join(traceback.format_exception(error))
    assert error.__cause__ is None
    assert error.__context__ is None  # the original (URL-bearing) exception is not kept
    for record in caplog.records:
        assert token not in record.getMessage(), record.name
    assert token not in caplog.text


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
