"""The deployed function (functions-framework app) against the real Firestore emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore

from tests.conftest import (
    MAIN,
    ROOT,
    SAMPLES,
    TOKEN,
    AppFactory,
    documents,
    post,
    records,
    sample,
)
from tests.support.emulator import FirestoreEmulator

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
    and body.get("typeWebhook") not in (None, "incomingCall")
)
CHAT = "chats/1101000001_79001234567@c.us"
CALL_ID = "A1B2C3D4E5F60718293A4B5C6D7E8F90"

# Mode -> the label each status gets; a missing status is acknowledged and not stored.
EXPECTED = {
    "all": {
        "offer": "Incoming call",
        "pickUp": "Answered call",
        "hungUp": "Dropped call",
        "hangUp": "Dropped call",
        "missed": "Missed call",
        "declined": "Missed call",
        "ringingAgain": "Call",
    },
    "results": {
        "pickUp": "Answered call",
        "hungUp": "Missed call",
        "hangUp": "Missed call",
        "missed": "Missed call",
        "declined": "Missed call",
        "ringingAgain": "Call",
    },
    "offer": {"offer": "Incoming call"},
    "ignore": {},
}


def call(status: str, **changes: Any) -> dict[str, Any]:
    base = sample(CALL_SAMPLES.get(status, "incoming-call-offer"))
    return base | {"status": status} | changes


@pytest.mark.parametrize("mode", list(EXPECTED))
@pytest.mark.parametrize("status", [*CALL_SAMPLES, "ringingAgain"])
def test_every_mode_with_every_status(
    make_app: AppFactory, db: firestore.Client, mode: str, status: str
) -> None:
    client = make_app(CALL_MODE=mode)
    answer = post(client, call(status))
    assert answer.status_code == 200
    label = EXPECTED[mode].get(status)
    stored = documents(db)
    if label is None:
        assert stored == {}  # skipped: nothing written at all
        return
    canonical = "hungUp" if status == "hangUp" else status
    record = stored[f"{CHAT}/records/{CALL_ID}_{canonical}"]
    body = call(status)
    assert record == {
        "instanceId": 1101000001,
        "chatId": "79001234567@c.us",
        "callId": CALL_ID,
        "status": canonical,
        "label": label,
        "callerName": None,
        "eventAt": datetime.fromtimestamp(body["timestamp"], UTC),
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


def test_both_spellings_are_one_record(make_app: AppFactory, db: firestore.Client) -> None:
    client = make_app()
    assert post(client, call("hangUp")).status_code == 200
    assert post(client, call("hungUp")).status_code == 200
    assert list(records(db)) == [f"{CHAT}/records/{CALL_ID}_hungUp"]


@pytest.mark.parametrize("name", IGNORED_SAMPLES)
def test_ignored_types_are_acknowledged_and_write_nothing(
    make_app: AppFactory, db: firestore.Client, name: str
) -> None:
    assert post(make_app(), sample(name)).status_code == 200
    assert documents(db) == {}


def test_body_without_type_is_acknowledged(make_app: AppFactory, db: firestore.Client) -> None:
    assert post(make_app(), {"hello": "world"}).status_code == 200
    assert documents(db) == {}


def test_ignored_type_imports_no_storage_or_network_module() -> None:
    """A fresh process: handling every ignored sample leaves Firestore and requests unimported."""
    bodies = [json.loads((SAMPLES / f"{name}.json").read_text()) for name in IGNORED_SAMPLES]
    script = f"""
import json, sys, functions_framework
app = functions_framework.create_app(target="handle_webhook", source={str(MAIN)!r})
client = app.test_client()
for body in json.loads({json.dumps(json.dumps(bodies))}):
    answer = client.post("/", json=body, headers={{"Authorization": "Bearer t"}})
    assert answer.status_code == 200, answer.status_code
heavy = [m for m in sys.modules if m.startswith(("google.cloud.firestore", "google.api_core",
         "grpc", "requests", "urllib3", "boto3", "call_logger.service", "call_logger.store"))]
print(json.dumps(heavy))
"""
    env = {"WEBHOOK_TOKEN": "t", "PATH": "/usr/bin:/bin"}
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
    make_app: AppFactory, db: firestore.Client, headers: dict[str, str], why: str
) -> None:
    answer = make_app().post("/", json=call("offer"), headers=headers)
    assert answer.status_code == 401, why
    assert documents(db) == {}


def test_bearer_scheme_is_case_insensitive(make_app: AppFactory, db: firestore.Client) -> None:
    answer = make_app().post("/", json=call("offer"), headers={"Authorization": f"bearer {TOKEN}"})
    assert answer.status_code == 200


def test_unconfigured_token_refuses_everything(
    make_app: AppFactory, db: firestore.Client, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_app(WEBHOOK_TOKEN="")
    assert post(client, call("offer"), token="").status_code == 401
    assert post(client, call("offer"), token=None).status_code == 401
    assert documents(db) == {}
    assert "WEBHOOK_TOKEN is not configured" in caplog.text


def test_unauthenticated_only_when_asked_explicitly(
    make_app: AppFactory, db: firestore.Client
) -> None:
    client = make_app(WEBHOOK_TOKEN="", ALLOW_UNAUTHENTICATED="true")
    assert post(client, call("offer"), token=None).status_code == 200
    assert len(records(db)) == 1


def test_token_never_reaches_the_logs(
    make_app: AppFactory, db: firestore.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    client = make_app()
    post(client, call("offer"))
    post(client, call("offer"), token="wrong-token-value")
    post(client, {"typeWebhook": "incomingCall"})
    assert TOKEN not in caplog.text
    assert "wrong-token-value" not in caplog.text


def test_method_size_and_body_checks(make_app: AppFactory, db: firestore.Client) -> None:
    client = make_app()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/", headers=auth).status_code == 405
    assert client.put("/", json=call("offer"), headers=auth).status_code == 405
    padding = " " * (1024 * 1024)
    assert post(client, json.dumps(call("offer")) + padding).status_code == 413
    # The size is checked before the token: an oversized body is never read.
    assert post(client, "x" * (1024 * 1024 + 1), token=None).status_code == 413
    for bad in (b"", b"[]", b"null", b"not json", b'"text"', b"\xff"):
        assert post(client, bad).status_code == 400, bad
    assert documents(db) == {}


def test_body_of_exactly_one_mebibyte_is_accepted(
    make_app: AppFactory, db: firestore.Client
) -> None:
    text = json.dumps(call("offer"))
    body = text[:-1] + " " * (1024 * 1024 - len(text)) + "}"
    assert len(body) == 1024 * 1024
    assert post(make_app(), body).status_code == 200
    assert len(records(db)) == 1


def test_other_instance_is_refused_for_every_type(
    make_app: AppFactory, db: firestore.Client
) -> None:
    client = make_app(GREEN_API_ID_INSTANCE="1101000002")
    assert post(client, call("offer")).status_code == 403
    assert post(client, sample("incoming-message")).status_code == 403
    # Unreadable instance data is not a mismatch: the body is judged on its own.
    assert post(client, {"typeWebhook": "stateInstanceChanged"}).status_code == 200
    assert documents(db) == {}
    same = make_app(GREEN_API_ID_INSTANCE="1101000001")
    assert post(same, call("offer")).status_code == 200
    assert len(records(db)) == 1


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
    make_app: AppFactory, db: firestore.Client, changes: dict[str, Any], reason: str
) -> None:
    import hashlib

    client = make_app()
    body = json.dumps(call("offer") | changes)
    for _ in range(3):  # redelivery adds nothing
        assert post(client, body).status_code == 200
    stored = documents(db)
    digest = hashlib.sha256(body.encode()).hexdigest()
    assert list(stored) == [f"rejected/{digest}"]
    kept = stored[f"rejected/{digest}"]
    assert kept["body"] == body
    assert reason in kept["reason"]
    assert isinstance(kept["receivedAt"], datetime)


def test_duplicates_leave_what_one_delivery_leaves(
    make_app: AppFactory, db: firestore.Client
) -> None:
    client = make_app()
    assert post(client, call("offer")).status_code == 200
    once = documents(db)
    for _ in range(2):
        assert post(client, call("offer")).status_code == 200
    assert documents(db) == once  # recordedAt keeps the first receipt


def test_order_does_not_matter(make_app: AppFactory, db: firestore.Client) -> None:
    client = make_app()
    older = call("offer", idMessage="OLD", timestamp=1764080000)
    older_end = call("declined", idMessage="OLD", timestamp=1764080030)
    newer = call("offer", idMessage="NEW", timestamp=1764086400)
    newer_end = call("pickUp", idMessage="NEW", timestamp=1764086412)
    # Final status before its offer, and the older call after the newer one.
    for body in (newer_end, newer, older_end, older):
        assert post(client, body).status_code == 200
    stored = documents(db)
    assert {path.rsplit("/", 1)[1] for path in records(db)} == {
        "OLD_offer",
        "OLD_declined",
        "NEW_offer",
        "NEW_pickUp",
    }
    assert stored[CHAT]["lastCallAt"] == datetime.fromtimestamp(1764086412, UTC)
    assert stored[CHAT]["lastLabel"] == "Answered call"


def test_retention_sets_expire_at(make_app: AppFactory, db: firestore.Client) -> None:
    post(make_app(RECORD_RETENTION_DAYS="30"), call("offer"))
    (record,) = records(db).values()
    assert record["expireAt"] == record["eventAt"] + timedelta(days=30)


def test_custom_labels(make_app: AppFactory, db: firestore.Client) -> None:
    client = make_app(CALL_LABELS='{"incoming": "Входящий звонок"}')
    post(client, call("offer"))
    (record,) = records(db).values()
    assert record["label"] == "Входящий звонок"


def test_bad_mode_stops_the_function_at_start(make_app: AppFactory) -> None:
    with pytest.raises(ValueError, match="all, results, offer, ignore"):
        make_app(CALL_MODE="sometimes")


def test_storage_down_answers_503_and_writes_nothing(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its own emulator, stopped mid-stream: 503 (GREEN-API resends), then the resend lands."""
    with FirestoreEmulator() as own:
        for name, value in own.environ().items():
            monkeypatch.setenv(name, value)
        db = firestore.Client(project=own.project)
        db.collection("warm-up").document("x").get()  # the emulator's first answer is slow
        client = make_app()
        assert post(client, call("offer")).status_code == 200
        own.stop(keep_data=True)
        assert post(client, call("pickUp")).status_code == 503
        assert post(client, call("offer", **{"from": "1@c.us"})).status_code == 503
        own.start()
        assert set(records(db)) == {f"{CHAT}/records/{CALL_ID}_offer"}  # nothing half-written
        assert {path for path in documents(db) if "/records/" not in path} == {CHAT}
        assert post(client, call("pickUp")).status_code == 200
        assert len(records(db)) == 2
