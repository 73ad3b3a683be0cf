"""Webhook's HTTP decisions in their stated order, with an in-memory service behind them."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from call_logger.entrypoints.http import MAX_BODY_BYTES, Webhook
from call_logger.flows.webhook import CallService
from call_logger.settings.config import Config

from tests.unit.fakes import MemoryStore
from tests.unit.test_service import call

TOKEN = "unit-token"
BEARER = f"Bearer {TOKEN}"


def webhook(store: MemoryStore | None = None, **settings: Any) -> Webhook:
    config = Config(webhook_token=TOKEN, **settings)
    return Webhook(config, CallService(config, store or MemoryStore()))


def post(
    hook: Webhook,
    body: bytes | dict[str, Any],
    authorization: str | None = BEARER,
    method: str = "POST",
    length: int | None = None,
) -> int:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stream = io.BytesIO(raw)
    return hook.handle(
        method, authorization, len(raw) if length is None else length, stream.read
    ).status


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ({"method": "GET", "authorization": None, "body": b"not json"}, 405),
        ({"length": MAX_BODY_BYTES + 1, "authorization": None, "body": b"not json"}, 413),
        ({"authorization": "Bearer wrong", "body": b"not json"}, 401),
        ({"body": b"not json"}, 400),
        ({"body": call(instanceData={"idInstance": 2})}, 403),
        ({"body": {"typeWebhook": "incomingMessageReceived"}}, 200),
        ({"body": call()}, 200),
    ],
)
def test_the_first_failing_check_answers(case: dict[str, Any], expected: int) -> None:
    hook = webhook(instance_id=1101000001)
    assert post(hook, **case) == expected


def test_a_body_over_the_limit_without_a_length_is_refused() -> None:
    assert post(webhook(), b" " * (MAX_BODY_BYTES + 1), length=None) == 413


def test_an_ignored_type_never_reaches_the_store() -> None:
    store = MemoryStore(down=True)
    assert post(webhook(store), {"typeWebhook": "outgoingMessageStatus"}) == 200
    assert store.loads == 0


def test_storage_down_answers_503_so_that_it_is_resent() -> None:
    assert post(webhook(MemoryStore(down=True)), call()) == 503


def test_an_unexpected_failure_answers_503_too() -> None:
    store = MemoryStore()
    store.load = None  # type: ignore[assignment,method-assign]  # calling it raises TypeError
    assert post(webhook(store), call()) == 503


def test_an_unrecordable_call_is_acknowledged_and_kept() -> None:
    store = MemoryStore()
    assert post(webhook(store), call() | {"status": 7}) == 200
    assert len(store.rejected) == 1


def test_no_token_configured_refuses_unless_unauthenticated_is_allowed() -> None:
    closed = Webhook(Config())
    opened = Webhook(Config(allow_unauthenticated=True), CallService(Config(), MemoryStore()))
    assert post(closed, {"typeWebhook": "x"}, authorization=None) == 401
    assert post(opened, {"typeWebhook": "x"}, authorization=None) == 200


@pytest.mark.parametrize(
    ("method", "authorization", "expected"),
    [("GET", BEARER, 405), ("POST", "Bearer wrong", 401), ("POST", BEARER, 400)],
)
def test_the_lambda_adapter_keeps_the_order_for_a_body_that_is_not_base64(
    method: str, authorization: str, expected: int
) -> None:
    from call_logger.entrypoints.aws_lambda import handle_event

    event = {
        "requestContext": {"http": {"method": method}},
        "headers": {"Authorization": authorization},
        "body": "not base64!",
        "isBase64Encoded": True,
    }
    assert handle_event(webhook(), event)["statusCode"] == expected
