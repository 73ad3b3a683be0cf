"""Load: several GREEN-API instances at GREEN-API's pace, every call delivered one to three times
in shuffled order, mixed with the notifications we ignore. Nothing lost, nothing twice, no 5xx."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from google.cloud import firestore

from tests.conftest import AppFactory
from tests.reliability import harness

pytestmark = pytest.mark.slow

INSTANCES = 6
CALLS_PER_INSTANCE = 25  # offer + final each, one to three copies: ~100 call deliveries
IGNORED_PER_INSTANCE = 260
MODE = "all"


def test_load_loses_nothing_and_records_nothing_twice(
    make_app: AppFactory, db: firestore.Client
) -> None:
    streams = harness.instance_streams(
        6, INSTANCES, 8, mode=MODE, calls=CALLS_PER_INSTANCE, ignored=IGNORED_PER_INSTANCE
    )
    sent = sum(len(stream) for stream in streams)
    assert sent >= 2000
    # Every instance id is accepted: GREEN_API_ID_INSTANCE stays unset.
    app = make_app(CALL_MODE=MODE, STORE_TIMEOUT="10").application
    with harness.LiveServer(app) as server:
        instances = [harness.Instance(server.url, stream) for stream in streams]
        harness.run_all(instances)

    tried = list(harness.attempts(instances))
    statuses = Counter(attempt.status for attempt in tried)
    expected = {
        note.record: note for stream in streams for note in stream if note.record is not None
    }
    found = harness.stored_records(db)
    paths = Counter(path for path, _ in found)
    duplicates = sum(count - 1 for count in paths.values())
    server_errors = sum(count for status, count in statuses.items() if status and status >= 500)
    harness.report(
        "load",
        instances=INSTANCES,
        notifications=sent,
        call_deliveries=sum(1 for stream in streams for note in stream if note.call),
        requests=len(tried),
        records_expected=len(expected),
        records_found=len(found),
        duplicates=duplicates,
        answers_5xx=server_errors,
    )
    assert [index for instance in instances for index in instance.undelivered] == []
    assert statuses == {200: sent}, statuses  # every notification answered 200 the first time
    assert duplicates == 0
    assert set(paths) == set(expected)
    for path, record in found:
        note = expected[path]
        assert record["label"] == note.label, path
        assert record["eventAt"] == datetime.fromtimestamp(note.event_at or 0, UTC), path
    assert harness.stored_paths(db, "rejected") == []

    # Each chat summary points at its newest record.
    newest: dict[str, tuple[int, str]] = {}
    for note in expected.values():
        assert note.chat and note.event_at and note.label
        newest[note.chat] = max(newest.get(note.chat, (0, "")), (note.event_at, note.label))
    chats = {doc.reference.path: doc.to_dict() or {} for doc in db.collection("chats").stream()}
    assert set(chats) == set(newest)
    for path, (event_at, label) in newest.items():
        assert chats[path]["lastCallAt"] == datetime.fromtimestamp(event_at, UTC), path
        assert chats[path]["lastLabel"] == label, path
