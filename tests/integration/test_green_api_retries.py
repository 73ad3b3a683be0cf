"""GreenApiClient's degradations against the fake GREEN-API server: which calls retry, how
often, after how long, and what a failed call raises."""

from __future__ import annotations

from typing import Any

import pytest
from call_logger.green_api import ContactInfo, GreenApiClient, GreenApiError
from call_logger.green_api_transport import CappedRetry
from urllib3.response import HTTPResponse

from devserver.fake_green_api import FakeGreenApi
from tests.integration.test_green_api import CHAT


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
