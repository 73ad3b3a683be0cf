"""Storage faults: a dedicated emulator is stopped and started again while instances deliver.
Every incomingCall answered during the outage gets 503 (never 200), ignored types still get 200,
and once GREEN-API-style resends get through, every record exists exactly once."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from google.cloud import firestore

from devserver.emulator import FirestoreEmulator
from tests.conftest import AppFactory
from tests.reliability import harness

pytestmark = pytest.mark.slow

INSTANCES = 3
MIN_CALLS_INSIDE = 6  # the outage lasts until this many incomingCall answers fell inside it


def wait_until(condition: object, bound: float) -> None:
    """Poll `condition()` every 50 ms, at most `bound` seconds (a loop bound, not an assertion)."""
    assert callable(condition)
    stop_at = time.monotonic() + bound
    while not condition() and time.monotonic() < stop_at:
        time.sleep(0.05)


def test_storage_outage_answers_503_and_resends_lose_nothing(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    streams = harness.instance_streams(
        503, INSTANCES, 5, mode="all", calls=25, ignored=20, max_copies=2
    )
    with FirestoreEmulator() as own:
        for name, value in own.environ().items():
            monkeypatch.setenv(name, value)
        db = firestore.Client(project=own.project)
        db.collection("warm-up").document("x").get()  # the emulator's first answer is slow
        # Short enough to keep the outage brief, long enough that a busy machine (the emulator
        # shares its cores with the suite) does not time out writes before the outage.
        app = make_app(STORE_TIMEOUT="3").application
        gate = harness.Gate()
        with harness.LiveServer(app) as server:
            instances = [harness.Instance(server.url, stream, gate=gate) for stream in streams]
            for instance in instances:
                instance.start()
            total = sum(len(stream) for stream in streams)
            wait_until(lambda: sum(i.acknowledged for i in instances) >= total // 3, 120)

            # The emulator keeps data in memory only: its export is the durable copy. No write
            # may land between the export and the kill (a real Firestore never forgets an
            # acknowledged write), so deliveries are held back for that moment only.
            gate.close_and_drain()
            own.stop(keep_data=True)
            down_at = time.monotonic()
            gate.open()

            def inside() -> list[harness.Attempt]:
                return [
                    a
                    for a in harness.attempts(instances)
                    if a.call and a.started >= down_at and a.ended <= time.monotonic()
                ]

            wait_until(lambda: len(inside()) >= MIN_CALLS_INSIDE, 60)
            up_at = time.monotonic()
            own.start()
            harness.run_all(instances)

        tried = list(harness.attempts(instances))
        before = [a for a in tried if a.ended < down_at]
        during = [a for a in tried if a.started >= down_at and a.ended <= up_at]
        after = [a for a in tried if a.started >= up_at]
        # Started before the restart and ended after it began: may go either way.
        edges = [a for a in tried if a not in before and a not in during and a not in after]
        expected = {n.record for s in streams for n in s if n.record is not None}
        found = harness.stored_records(db)
        paths = Counter(path for path, _ in found)
        harness.report(
            "storage outage",
            notifications=sum(len(s) for s in streams),
            requests=len(tried),
            calls_during_outage=sum(1 for a in during if a.call),
            answered_503_during=sum(1 for a in during if a.status == 503),
            answered_200_to_calls_during=sum(1 for a in during if a.call and a.status == 200),
            ignored_types_200_during=sum(1 for a in during if not a.call and a.status == 200),
            at_restart_edge=len(edges),
            resends_after_restart=sum(1 for a in after if a.status != 200),
            records_expected=len(expected),
            records_found=len(found),
            duplicates=sum(count - 1 for count in paths.values()),
        )
        assert Counter(a.status for a in before) == {200: len(before)}
        assert sum(1 for a in during if a.call) >= MIN_CALLS_INSIDE
        for attempt in during:
            # Storage down: an incomingCall is never acknowledged; other types always are.
            assert attempt.status == (503 if attempt.call else 200), attempt
        assert {a.status for a in edges + after} <= {200, 503}
        assert [i.undelivered for i in instances] == [[]] * INSTANCES
        assert set(paths) == expected
        assert max(paths.values()) == 1
        assert harness.stored_paths(db, "rejected") == []
