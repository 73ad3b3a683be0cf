"""Structured logs: the JSON lines both deployments write to stdout, parsed as JSON."""

from __future__ import annotations

import io
import json
import logging
import os
from typing import Any, cast

import pytest
from call_logger.entrypoints.http import Webhook
from call_logger.settings.logs import JsonFormatter, Throttle, configure, request_context

from tests.conftest import TOKEN, AppFactory, ClientFactory, post
from tests.integration.test_webhook import CALL_ID, call
from tests.support.backends import Backend

TRACE_ID = "105445aa7843bc8bf206b12000100000"
STABLE_KEYS = {"severity", "message", "event", "instance", "callId", "status", "outcome", "ms"}


def lines(text: str) -> list[dict[str, Any]]:
    """The function's lines on stdout; every stdout line is one JSON object (the in-process
    moto server's and botocore's lines too: they are left out here)."""
    found = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [line for line in found if line["logger"].startswith("call_logger")]


def about(found: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [line for line in found if line.get("event") == event]


def test_each_call_outcome_is_one_line_with_the_stable_keys(
    make_client: ClientFactory, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    capsys.readouterr()
    post(client, call("offer"))
    post(client, call("offer"))  # redelivery
    post(client, call("offer", timestamp="yesterday"))
    found = lines(capsys.readouterr().out)

    assert [line["event"] for line in found] == ["call.recorded", "call.duplicate", "call.rejected"]
    recorded, duplicate, rejected = found
    for line in found:
        assert line.keys() >= STABLE_KEYS
        assert line["instance"] == 1101000001
        assert line["callId"] == CALL_ID
        assert line["status"] == 200
        assert line["chatId"] == "7900***4567@c.us"  # masked by default
        assert isinstance(line["ms"], int | float) and line["ms"] >= 0
    assert (recorded["severity"], recorded["outcome"]) == ("INFO", "recorded")
    assert (duplicate["severity"], duplicate["outcome"]) == ("INFO", "duplicate")
    assert (rejected["severity"], rejected["outcome"]) == ("WARNING", "rejected")
    assert "timestamp" in rejected["reason"]
    assert "79001234567" not in json.dumps(found)


def test_full_chat_ids_when_the_operator_asks(
    make_client: ClientFactory, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client(LOG_CHAT_IDS="full")
    capsys.readouterr()
    post(client, call("offer"))
    (line,) = lines(capsys.readouterr().out)
    assert line["chatId"] == "79001234567@c.us"


def test_storage_down_is_an_error_line_with_503(
    make_client: ClientFactory, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    with backend.outage():
        capsys.readouterr()
        assert post(client, call("offer")).status_code == 503
        found = lines(capsys.readouterr().out)
    (line,) = about(found, "storage.unavailable")
    assert (line["severity"], line["status"], line["outcome"]) == ("ERROR", 503, "unavailable")
    assert line["callId"] == CALL_ID


def test_a_storm_without_a_token_logs_one_line(
    make_client: ClientFactory, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    capsys.readouterr()
    for _ in range(50):
        assert post(client, call("offer"), token=None).status_code == 401
    found = lines(capsys.readouterr().out)
    assert len(found) == 1
    (line,) = found
    assert (line["event"], line["severity"], line["status"]) == ("auth.refused", "WARNING", 401)
    assert line["suppressed"] == 0


def test_throttle_reports_what_it_held_back() -> None:
    now = [0.0]
    throttle = Throttle(interval=60, clock=lambda: now[0])
    assert throttle.allow("auth.refused") == 0
    assert [throttle.allow("auth.refused") for _ in range(3)] == [None] * 3
    assert throttle.allow("request.refused") == 0  # each event on its own
    now[0] = 60.0
    assert throttle.allow("auth.refused") == 3
    assert throttle.allow("auth.refused") is None


def test_cloud_trace_header_links_the_line_to_its_request(
    make_app: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_app(WEBHOOK_TOKEN=TOKEN)
    capsys.readouterr()
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Cloud-Trace-Context": f"{TRACE_ID}/7;o=1"}
    client.post("/", json=call("offer"), headers=headers)
    (line,) = lines(capsys.readouterr().out)
    project = os.environ["GOOGLE_CLOUD_PROJECT"]  # the emulator's, as on Cloud Run
    assert line["logging.googleapis.com/trace"] == f"projects/{project}/traces/{TRACE_ID}"
    assert line["logging.googleapis.com/spanId"] == "7"


@pytest.mark.parametrize(("level", "expected"), [("WARNING", []), ("DEBUG", ["ignored"])])
def test_log_level_decides_what_is_written(
    make_client: ClientFactory,
    backend: Backend,
    capsys: pytest.CaptureFixture[str],
    level: str,
    expected: list[str],
) -> None:
    client = make_client(LOG_LEVEL=level)
    capsys.readouterr()
    post(client, {"typeWebhook": "incomingMessageReceived"})
    post(client, call("offer"))
    found = [line["event"] for line in lines(capsys.readouterr().out)]
    if level == "DEBUG":
        assert found == ["notification.ignored", "call.recorded"]
    else:
        assert found == []


def test_a_traceback_stays_on_one_line_and_tokens_are_replaced() -> None:
    stream = io.StringIO()
    configure("INFO", "masked", secrets=["s3cr3t-token-value"], stream=stream)
    try:
        raise RuntimeError("boom with s3cr3t-token-value for 79001234567@c.us")
    except RuntimeError:
        logging.getLogger("call_logger.test").exception("failed", extra={"event": "x.failed"})
    configure()  # back to stdout
    text = stream.getvalue()
    assert text.count("\n") == 1
    (line,) = lines(text)
    assert line["event"] == "x.failed"
    assert line["severity"] == "ERROR"
    assert "Traceback (most recent call last)" in line["exception"]
    assert "RuntimeError: boom with *** for 7900***4567@c.us" in line["exception"]
    assert "s3cr3t" not in text


def test_extra_fields_and_request_fields_become_keys() -> None:
    formatter = JsonFormatter(mask=False)
    record = logging.makeLogRecord(
        {"msg": "run %d", "args": (3,), "levelname": "WARNING", "event": "reconcile.run"}
    )
    with request_context(requestId="abc"):
        line = json.loads(formatter.format(record))
    assert line["message"] == "run 3"
    assert line["event"] == "reconcile.run"
    assert line["requestId"] == "abc"
    assert line["severity"] == "WARNING"


def test_webhook_without_a_token_setting_is_an_error_once_a_minute(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from call_logger.settings.config import Config

    configure()
    webhook = Webhook(Config())
    for _ in range(3):
        reply = webhook.handle("POST", None, 2, io.BytesIO(b"{}").read)
        assert reply.status == 401
    (line,) = lines(capsys.readouterr().out)
    assert (line["event"], line["severity"]) == ("auth.unconfigured", "ERROR")
    assert "WEBHOOK_TOKEN is not configured" in line["message"]


class _BrokenService:
    def handle(self, body: dict[str, Any], raw: bytes) -> Any:
        raise RuntimeError("boom while handling 79001234567@c.us")


def test_an_unexpected_failure_is_one_error_line_with_its_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from call_logger.settings.config import Config

    configure()
    webhook = Webhook(Config(webhook_token="t"), service=cast(Any, _BrokenService()))
    body = json.dumps(call("offer")).encode()
    assert webhook.handle("POST", "Bearer t", len(body), io.BytesIO(body).read).status == 503
    (line,) = lines(capsys.readouterr().out)
    assert (line["event"], line["severity"], line["status"]) == (
        "notification.failed",
        "ERROR",
        503,
    )
    assert line["exception"].startswith("Traceback (most recent call last)")
    assert "RuntimeError: boom while handling 7900***4567@c.us" in line["exception"]
    assert line["callId"] == CALL_ID


def test_a_token_in_a_green_api_url_is_replaced_without_being_named() -> None:
    # GREEN_API_INSTANCES may hold hundreds of tokens: none is named to the formatter.
    stream = io.StringIO()
    configure("INFO", "masked", stream=stream)
    url = "https://7105.api.greenapi.com/waInstance1101000002/sendMessage/unnamed-t0ken-123/x"
    logging.getLogger("call_logger.test").warning("failed: %s", url, extra={"event": "x.failed"})
    configure()  # back to stdout
    (line,) = lines(stream.getvalue())
    assert "unnamed-t0ken-123" not in json.dumps(line)
    assert line["message"].endswith("/waInstance1101000002/sendMessage/***/x")
