"""Lookup faults: GetContactInfo answers 429 or 500, hangs beyond CONTACT_LOOKUP_BUDGET, drops the
connection or sends a body that is not JSON, for a share of the lookups. Every record is still
stored (answered 200 the first time), with the name exactly where a lookup succeeded."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

import pytest
from google.cloud import firestore

from devserver.fake_green_api import FakeGreenApi, Fault, RecordedRequest
from tests.conftest import AppFactory
from tests.reliability import harness

pytestmark = pytest.mark.slow

BUDGET = 0.5
FAULTS: dict[str, Fault] = {
    "429": Fault(status=429),
    "500": Fault(status=500),
    "hang": Fault(hang=BUDGET * 4),  # answers normally, long after the function gave up
    "drop": Fault(drop=True),
    "bad_json": Fault(bad_json=True),
}


class _Requests(list[RecordedRequest]):
    """The fake's request log, also remembering each handler thread's current request."""

    def __init__(self, current: threading.local) -> None:
        super().__init__()
        self._current = current

    def append(self, request: RecordedRequest) -> None:
        self._current.request = request
        super().append(request)


class PlannedFakeGreenApi(FakeGreenApi):
    """The fake GREEN-API with faults planned per chat: the n-th getContactInfo for a chat gets
    plan[chat][n] (a FAULTS key), "ok" once the plan is used up. `outcomes` logs what each got."""

    def __init__(self, plan: dict[str, list[str]]) -> None:
        super().__init__()
        self.plan = plan
        self.outcomes: list[tuple[str, str]] = []
        self._current = threading.local()
        self.requests = _Requests(self._current)

    def _take_fault(self, method: str) -> Fault | None:
        if method != "getContactInfo":
            return super()._take_fault(method)
        request: RecordedRequest = self._current.request
        chat_id = request.json.get("chatId", "") if isinstance(request.json, dict) else ""
        with self._lock:
            done = sum(1 for chat, _ in self.outcomes if chat == chat_id)
            planned = self.plan.get(chat_id, [])
            kind = planned[done] if done < len(planned) else "ok"
            self.outcomes.append((chat_id, kind))
        return FAULTS.get(kind)


def test_failed_lookups_never_lose_a_record(make_app: AppFactory, db: firestore.Client) -> None:
    rng = random.Random(429)
    ids = harness.Ids(429)
    chats = harness.callers(rng, 30)
    kinds = sorted(FAULTS)
    plan = {
        chat_id: [rng.choice(kinds) for _ in range(rng.choice([0, 0, 1, 1, 2, 9]))]
        for chat_id in chats
    }
    names = {chat_id: f"Caller {number}" for number, chat_id in enumerate(chats)}
    fake = PlannedFakeGreenApi(plan)
    with fake:
        for chat_id, name in names.items():
            fake.set_contact(chat_id, contact_name=name)
        instance = fake.instance_id
        stream = harness.instance_stream(
            rng, ids, mode="all", instance=instance, callers=chats, calls=70, ignored=40
        )
        app = make_app(
            GREEN_API_URL=fake.url,
            GREEN_API_ID_INSTANCE=str(instance),
            GREEN_API_TOKEN=fake.token,
            CONTACT_LOOKUP_BUDGET=str(BUDGET),
            STORE_TIMEOUT="10",
        ).application
        with harness.LiveServer(app) as server:
            sender = harness.Instance(server.url, stream)
            harness.run_all([sender])
        outcomes = list(fake.outcomes)
        logged = Counter(request.json["chatId"] for request in fake.requests_for("getContactInfo"))

    statuses = Counter(attempt.status for attempt in harness.attempts([sender]))
    expected = {note.record: note for note in stream if note.record is not None}
    found = harness.stored_records(db)
    by_path = dict(found)
    chat_docs = {doc.reference.path: doc.to_dict() or {} for doc in db.collection("chats").stream()}
    failed = Counter(chat for chat, kind in outcomes if kind != "ok")
    succeeded = Counter(chat for chat, kind in outcomes if kind == "ok")
    null_records: Counter[str] = Counter()
    per_chat: Counter[str] = Counter()
    for path, record in found:
        chat_id = record["chatId"]
        per_chat[chat_id] += 1
        assert record["callerName"] in (names[chat_id], None), path
        if record["callerName"] is None:
            null_records[chat_id] += 1
    harness.report(
        "lookup faults",
        notifications=len(stream),
        requests=sum(statuses.values()),
        lookups=len(outcomes),
        failed_lookups=sum(failed.values()),
        **{f"lookups_{kind}": n for kind, n in sorted(Counter(k for _, k in outcomes).items())},
        records_expected=len(expected),
        records_found=len(found),
        records_named=len(found) - sum(null_records.values()),
        records_without_name=sum(null_records.values()),
    )
    assert statuses == {200: len(stream)}, statuses  # a lookup never fails a notification
    assert sender.undelivered == []
    assert len(found) == len(by_path) == len(expected)
    assert set(by_path) == set(expected)
    assert sum(failed.values()) > 0 and set(failed) != set(chats)
    # The fake's log and the plan agree: one lookup per recorded delivery until one succeeds.
    assert logged == failed + succeeded
    for chat_id in chats:
        recorded = per_chat[chat_id]
        planned_failures = len(plan[chat_id])
        assert failed[chat_id] == min(recorded, planned_failures), chat_id
        assert succeeded[chat_id] == (1 if recorded > planned_failures else 0), chat_id
        # Exactly the records written after a failed lookup lack the name.
        assert null_records[chat_id] == failed[chat_id], chat_id
        if recorded:
            chat: dict[str, Any] = chat_docs[f"chats/{instance}_{chat_id}"]
            assert chat["callerName"] == (names[chat_id] if succeeded[chat_id] else None)
