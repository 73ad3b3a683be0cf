"""The deployed function (functions-framework app) against the real Firestore emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from call_logger.core.envelope import is_tracked
from call_logger.core.write_plan import rejected_id

from devserver.aws import LAMBDA
from tests.conftest import (
    MAIN,
    ROOT,
    SAMPLES,
    TOKEN,
    ClientFactory,
    post,
    records,
    sample,
)
from tests.support.backends import Backend
from tests.support.label_table import LABELS, STATUSES, canonical, expected_label

CALL_SAMPLES = {
    "offer": "incoming-call-offer",
    "pickUp": "incoming-call-pickup",
    "hungUp": "incoming-call-hungup",
    "hangUp": "incoming-call-hangup",
    "missed": "incoming-call-missed",
    "declined": "incoming-call-declined",
}
IGNORED_SAMPLES = sorted(
    path.stem
    for path in SAMPLES.glob("*.json")
    if isinstance(body := json.loads(path.read_text()), dict)
    and "typeWebhook" in body
    and body["typeWebhook"] != "stateInstanceChanged"
    and not is_tracked(body["typeWebhook"], callback_by_message=True)
)
# Ignored too when CALLBACK_BY_MESSAGE=false.
OUTGOING_MESSAGES = [
    sample("outgoing-message-received"),
    sample("outgoing-message-received") | {"typeWebhook": "outgoingAPIMessageReceived"},
]
CHAT = "chats/1101000001_79001234567@c.us"
CALL_ID = "A1B2C3D4E5F60718293A4B5C6D7E8F90"


def call(status: str, **changes: Any) -> dict[str, Any]:
    base = sample(CALL_SAMPLES.get(status, "incoming-call-offer"))
    return base | {"status": status} | changes


@pytest.mark.parametrize("mode", list(LABELS))
@pytest.mark.parametrize("status", STATUSES)
def test_every_mode_with_every_status(
    make_client: ClientFactory, backend: Backend, mode: str, status: str
) -> None:
    client = make_client(CALL_MODE=mode)
    answer = post(client, call(status))
    assert answer.status_code == 200
    label = expected_label(mode, status)
    stored = backend.documents()
    if label is None:
        assert stored == {}  # skipped: nothing written at all
        return
    record = stored[f"{CHAT}/records/{CALL_ID}_{canonical(status)}"]
    body = call(status)
    assert record == {
        "instanceId": 1101000001,
        "chatId": "79001234567@c.us",
        "callId": CALL_ID,
        "status": canonical(status),
        "label": label,
        "callerName": None,
        "eventAt": datetime.fromtimestamp(body["timestamp"], UTC),
        "source": "webhook",
        "direction": "incoming",
        "recordedAt": record["recordedAt"],
    }
    assert abs(record["recordedAt"] - datetime.now(UTC)) < timedelta(minutes=5)
    chat = stored[CHAT]
    assert chat["phone"] == "+79001234567"
    assert chat["instanceId"] == 1101000001
    assert chat["chatId"] == "79001234567@c.us"
    assert chat["callerName"] is None
    assert chat["lastLabel"] == label
    assert chat["lastCallAt"] == record["eventAt"]


def test_both_spellings_are_one_record(make_client: ClientFactory, backend: Backend) -> None:
    client = make_client()
    assert post(client, call("hangUp")).status_code == 200
    assert post(client, call("hungUp")).status_code == 200
    assert list(records(backend)) == [f"{CHAT}/records/{CALL_ID}_hungUp"]


@pytest.mark.parametrize("name", IGNORED_SAMPLES)
def test_ignored_types_are_acknowledged_and_write_nothing(
    make_client: ClientFactory, backend: Backend, name: str
) -> None:
    assert post(make_client(), sample(name)).status_code == 200
    assert backend.documents() == {}


def test_body_without_type_is_acknowledged(make_client: ClientFactory, backend: Backend) -> None:
    assert post(make_client(), {"hello": "world"}).status_code == 200
    assert backend.documents() == {}


# Loads an entry point in a fresh process and posts every ignored sample to it.
LOADERS = {
    "gcp": f"""
import functions_framework
app = functions_framework.create_app(target="handle_webhook", source={str(MAIN)!r})
client = app.test_client()
def post(body):
    return client.post("/", json=body, headers={{"Authorization": "Bearer t"}}).status_code
""",
    "aws": f"""
import base64, importlib.util, json
spec = importlib.util.spec_from_file_location("lambda_function", {str(LAMBDA)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
def post(body):
    event = {{"requestContext": {{"http": {{"method": "POST"}}}},
             "headers": {{"authorization": "Bearer t"}}, "body": json.dumps(body)}}
    return module.lambda_handler(event, None)["statusCode"]
""",
}


@pytest.mark.parametrize("callback_by_message", ["true", "false"])
@pytest.mark.parametrize("entry", list(LOADERS))
def test_ignored_type_imports_no_storage_or_network_module(
    entry: str, callback_by_message: str
) -> None:
    """A fresh process: handling every ignored sample leaves storage and HTTP clients unimported
    (outgoing messages too, when call-back by message is off)."""
    bodies = [json.loads((SAMPLES / f"{name}.json").read_text()) for name in IGNORED_SAMPLES]
    if callback_by_message == "false":
        bodies += OUTGOING_MESSAGES
    script = (
        LOADERS[entry]
        + f"""
import json, sys
for body in json.loads({json.dumps(json.dumps(bodies))}):
    assert post(body) == 200
heavy = [m for m in sys.modules if m.startswith(("google.cloud.firestore", "google.api_core",
         "grpc", "requests", "urllib3", "boto3", "botocore", "call_logger.flows.",
         "call_logger.stores.", "call_logger.green_api",
         # parsing a handled notification, and business hours: dataclasses, each ~1 ms at start
         "call_logger.core.notification", "call_logger.settings.hours"))]
print(json.dumps(heavy))
"""
    )
    env = {
        "WEBHOOK_TOKEN": "t",
        "STORE": "dynamodb" if entry == "aws" else "firestore",
        "CALLBACK_BY_MESSAGE": callback_by_message,
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no header"),
        ({"Authorization": f"Basic {TOKEN}"}, "another scheme"),
        ({"Authorization": "Bearer wrong"}, "wrong token"),
        ({"Authorization": f"Bearer {TOKEN[:-1]}X"}, "last character differs"),
        ({"Authorization": f"Bearer {TOKEN} "}, "trailing space"),
        ({"Authorization": TOKEN}, "no scheme"),
    ],
)
def test_bad_credentials_answer_401_and_write_nothing(
    make_client: ClientFactory, backend: Backend, headers: dict[str, str], why: str
) -> None:
    answer = make_client().post("/", json=call("offer"), headers=headers)
    assert answer.status_code == 401, why
    assert backend.documents() == {}


def test_bearer_scheme_is_case_insensitive(make_client: ClientFactory, backend: Backend) -> None:
    answer = make_client().post(
        "/", json=call("offer"), headers={"Authorization": f"bearer {TOKEN}"}
    )
    assert answer.status_code == 200


def test_unconfigured_token_refuses_everything(
    make_client: ClientFactory, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(WEBHOOK_TOKEN="")
    assert post(client, call("offer"), token="").status_code == 401
    assert post(client, call("offer"), token=None).status_code == 401
    assert backend.documents() == {}
    assert "WEBHOOK_TOKEN is not configured" in caplog.text


def test_unauthenticated_only_when_asked_explicitly(
    make_client: ClientFactory, backend: Backend
) -> None:
    client = make_client(WEBHOOK_TOKEN="", ALLOW_UNAUTHENTICATED="true")
    assert post(client, call("offer"), token=None).status_code == 200
    assert len(records(backend)) == 1


def test_token_never_reaches_the_logs(
    make_client: ClientFactory, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    client = make_client()
    post(client, call("offer"))
    post(client, call("offer"), token="wrong-token-value")
    post(client, {"typeWebhook": "incomingCall"})
    assert TOKEN not in caplog.text
    assert "wrong-token-value" not in caplog.text


def test_method_size_and_body_checks(make_client: ClientFactory, backend: Backend) -> None:
    client = make_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/", headers=auth).status_code == 405
    assert client.put("/", json=call("offer"), headers=auth).status_code == 405
    padding = " " * (1024 * 1024)
    assert post(client, json.dumps(call("offer")) + padding).status_code == 413
    # The size is checked before the token: an oversized body is never read.
    assert post(client, "x" * (1024 * 1024 + 1), token=None).status_code == 413
    for bad in (b"", b"[]", b"null", b"not json", b'"text"', b"\xff"):
        assert post(client, bad).status_code == 400, bad
    assert backend.documents() == {}


def test_body_of_exactly_one_mebibyte_is_accepted(
    make_client: ClientFactory, backend: Backend
) -> None:
    text = json.dumps(call("offer"))
    body = text[:-1] + " " * (1024 * 1024 - len(text)) + "}"
    assert len(body) == 1024 * 1024
    assert post(make_client(), body).status_code == 200
    assert len(records(backend)) == 1


def test_other_instance_is_refused_for_every_type(
    make_client: ClientFactory, backend: Backend
) -> None:
    client = make_client(GREEN_API_ID_INSTANCE="1101000002")
    assert post(client, call("offer")).status_code == 403
    assert post(client, sample("incoming-message")).status_code == 403
    # Unreadable instance data is not a mismatch: the body is judged on its own.
    assert post(client, {"typeWebhook": "incomingMessageReceived"}).status_code == 200
    assert backend.documents() == {}
    same = make_client(GREEN_API_ID_INSTANCE="1101000001")
    assert post(same, call("offer")).status_code == 200
    assert len(records(backend)) == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"from": None}, "from"),
        ({"status": 3}, "status"),
        ({"idMessage": ""}, "idMessage"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"timestamp": 10**13}, "timestamp"),
        ({"instanceData": {"idInstance": "1101000001"}}, "idInstance"),
        ({"from": "7900/123@c.us"}, "'/'"),
        ({"idMessage": "__A", "status": "B__"}, "reserved"),
        ({"idMessage": "A" * 1600}, "1500"),
    ],
)
def test_unrecordable_call_is_kept_in_rejected(
    make_client: ClientFactory, backend: Backend, changes: dict[str, Any], reason: str
) -> None:
    client = make_client()
    body = json.dumps(call("offer") | changes)
    for _ in range(3):  # redelivery adds nothing
        assert post(client, body).status_code == 200
    stored = backend.documents()
    digest = rejected_id(json.loads(body))
    assert list(stored) == [f"rejected/{digest}"]
    kept = stored[f"rejected/{digest}"]
    assert kept["body"] == body
    assert reason in kept["reason"]
    assert isinstance(kept["receivedAt"], datetime)


def test_duplicates_leave_what_one_delivery_leaves(
    make_client: ClientFactory, backend: Backend
) -> None:
    client = make_client()
    assert post(client, call("offer")).status_code == 200
    once = backend.documents()
    for _ in range(2):
        assert post(client, call("offer")).status_code == 200
    assert backend.documents() == once  # recordedAt keeps the first receipt


def test_order_does_not_matter(make_client: ClientFactory, backend: Backend) -> None:
    client = make_client()
    older = call("offer", idMessage="OLD", timestamp=1764080000)
    older_end = call("declined", idMessage="OLD", timestamp=1764080030)
    newer = call("offer", idMessage="NEW", timestamp=1764086400)
    newer_end = call("pickUp", idMessage="NEW", timestamp=1764086412)
    # Final status before its offer, and the older call after the newer one.
    for body in (newer_end, newer, older_end, older):
        assert post(client, body).status_code == 200
    stored = backend.documents()
    assert {path.rsplit("/", 1)[1] for path in records(backend)} == {
        "OLD_offer",
        "OLD_declined",
        "NEW_offer",
        "NEW_pickUp",
    }
    assert stored[CHAT]["lastCallAt"] == datetime.fromtimestamp(1764086412, UTC)
    assert stored[CHAT]["lastLabel"] == "Answered call"


def test_retention_sets_expire_at(make_client: ClientFactory, backend: Backend) -> None:
    post(make_client(RECORD_RETENTION_DAYS="30"), call("offer"))
    (record,) = records(backend).values()
    assert record["expireAt"] == record["eventAt"] + timedelta(days=30)


def test_custom_labels(make_client: ClientFactory, backend: Backend) -> None:
    client = make_client(CALL_LABELS='{"incoming": "Входящий звонок"}')
    post(client, call("offer"))
    (record,) = records(backend).values()
    assert record["label"] == "Входящий звонок"


def test_bad_mode_stops_the_function_at_start(make_client: ClientFactory) -> None:
    with pytest.raises(ValueError, match="all, results, offer, ignore"):
        make_client(CALL_MODE="sometimes")


def test_storage_down_answers_503_and_writes_nothing(
    make_client: ClientFactory, backend: Backend
) -> None:
    """Storage stopped mid-stream: 503 (GREEN-API resends), nothing half-written, then the
    resend lands."""
    client = make_client()
    assert post(client, call("offer")).status_code == 200
    with backend.outage():
        assert post(client, call("pickUp")).status_code == 503
        assert post(client, call("offer", **{"from": "1@c.us"})).status_code == 503
    assert set(records(backend)) == {f"{CHAT}/records/{CALL_ID}_offer"}
    assert {path for path in backend.documents() if "/records/" not in path} == {CHAT}
    assert post(client, call("pickUp")).status_code == 200
    assert len(records(backend)) == 2
