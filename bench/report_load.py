"""How long `calls report` takes over 10,000 records of a week in the Firestore emulator.

python -m bench.report_load   (PYTHONPATH=function:.; needs the emulator, like make test)

Not a test (no wall-clock limits in tests): a measurement for docs/reports.md. It writes 10,000
records of 800 chats spread over the last 6.9 days, then times the report's read and figures.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta

from devserver.emulator import FirestoreEmulator

RECORDS, CHATS, BATCH = 10_000, 800, 500


def main() -> None:
    with FirestoreEmulator() as emulator:
        os.environ.update(emulator.environ())
        from call_logger.flows import reporting
        from call_logger.settings.config import Config
        from call_logger.stores.firestore import FirestoreStore
        from google.cloud import firestore

        db = firestore.Client(project=emulator.project)
        rng = random.Random(15)
        now = datetime.now(UTC)
        chats = [f"7900{n:07d}@c.us" for n in range(CHATS)]
        writes: list[tuple[firestore.DocumentReference, dict[str, object]]] = []
        for i in range(RECORDS):
            chat = rng.choice(chats)
            status = rng.choice(["offer", "pickUp", "pickUp", "declined"])
            chat_ref = db.collection("chats").document(f"1_{chat}")
            fields = {
                "instanceId": 1,
                "chatId": chat,
                "callId": f"C{i}",
                "status": status,
                "eventAt": now - timedelta(seconds=rng.uniform(0, 6.9 * 86400)),
                "direction": "incoming",
                "callerName": None,
            }
            writes.append((chat_ref.collection("records").document(f"C{i}_{status}"), fields))
        writes += [
            (db.collection("chats").document(f"1_{chat}"), {"chatId": chat}) for chat in chats
        ]
        for start in range(0, len(writes), BATCH):
            batch = db.batch()
            for ref, fields in writes[start : start + BATCH]:
                batch.set(ref, fields)
            batch.commit()
        config = Config.from_env(os.environ)
        store = FirestoreStore.from_config(config)
        for run in (1, 2):
            began, cpu = time.perf_counter(), time.process_time()
            figures = reporting.figures(store, config, now - timedelta(days=7), now)
            print(
                f"run {run}: {figures.total} calls from {RECORDS:,} records in "
                f"{time.perf_counter() - began:.1f} s ({time.process_time() - cpu:.1f} s of it "
                f"in this process); load average {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    main()
