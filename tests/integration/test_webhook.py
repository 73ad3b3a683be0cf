"""The deployed function (functions-framework app) against the real Firestore emulator: what a
call notification writes (the ignored types: test_webhook_ignored.py; who may post and what:
test_webhook_auth.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from call_logger.core.write_plan import rejected_id

from tests.conftest import ClientFactory, post, records, sample
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
