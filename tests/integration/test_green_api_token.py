"""The GREEN-API token never leaks: not in an error, its repr or traceback, nor in any log line,
whatever the fake GREEN-API server does (429, 466, 5xx, hangs, trickles, drops, bad JSON)."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from call_logger.green_api import GreenApiClient, GreenApiError

from devserver.fake_green_api import FOREVER, FakeGreenApi
from tests.integration.test_green_api import CHAT


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
