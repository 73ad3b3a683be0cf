"""`python -m bench.probes scheduled`: the scheduled work, the real dispatch and task code
(call_logger.flows.scheduled) against the Firestore emulator named by FIRESTORE_EMULATOR_HOST and
a fake GREEN-API instance each, the queue played locally as the cloud plays it: Cloud Tasks'
max_concurrent_dispatches or the SQS mapping's maximum concurrency is that many function
instances, each a process of its own, so here SCHEDULED_CONCURRENCY worker processes, each made
warm once (its configuration read, its modules imported, its database reached) and then running
one task at a time. The fake instances are served by one process of their own (one host, as
GREEN-API's apiUrl hosts serve many instances), so that they share no interpreter with the code
measured.

Each instance has one call in its journal that the log lacks (yesterday noon), an operator chat
and DIGEST_TIME passed: a task reconciles it (one record added), runs the state-check hook and
sends its digest. Measured: the seconds of one task alone in a warm worker (median of a few
instances), the seconds of MANY instances dispatched onto the queue until every task is done
(from the same empty database), and the records one instance's digest reads with MANY
instances' records stored against the same instance alone.

`python -m bench.scheduled_probe` runs this probe alone (with an emulator of its own) and puts
its figures in bench/results.json and bench/results.md, saying so there.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

MANY = int(os.environ.get("SCHEDULED_BENCH_INSTANCES", "500"))  # fewer: the test's quick run
SCHEDULED_CONCURRENCY = 10
SINGLE_RUNS = 3  # tasks timed alone; the median is the figure
FIRST_ID = 1102000001
OPERATOR = "79990000000@c.us"
EVENT = {"action": "reconcile", "since": "2d"}
# Fresh interpreters, as function instances are (and no gRPC state copied by a fork).
CONTEXT = multiprocessing.get_context("spawn")


class LocalQueue:
    """The cloud's queue on this machine: what dispatch sends is kept, then handed to the warm
    workers, each taking the next task when it is done with one (none fails here)."""

    def __init__(self) -> None:
        self.tasks: list[Mapping[str, Any]] = []

    def send(self, tasks: Sequence[Mapping[str, Any]]) -> None:
        self.tasks.extend(tasks)

    def drain(self, workers: Any) -> list[dict[str, Any]]:
        done = list(workers.imap_unordered(run_task, self.tasks, chunksize=1))
        failed = [error for error, _ in done if error is not None]
        if failed:
            raise RuntimeError(f"{len(failed)} tasks failed: {failed[:3]}")
        return [counts for _, counts in done]


class CountingStore:
    """The configured store, counting the records its reads return."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.records_read = 0

    def recent_records(self, *args: Any) -> Iterator[dict[str, Any]]:
        for fields in self._store.recent_records(*args):
            self.records_read += 1
            yield fields

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


# -- the fake GREEN-API instances: one process, one host ---------------------------------------


def _instance(n: int) -> tuple[int, str]:
    return FIRST_ID + n, f"bench-token-{n:04d}-0123456789"


def serve_instances(conn: Connection, count: int) -> None:
    """The fake instances' process: sends the host's URL, then answers "sent" with the
    messages sent so far, until "stop"."""
    from devserver.fake_green_api import FakeGreenApi, FakeGreenApiHost

    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    yesterday_noon = int((noon - timedelta(days=1)).timestamp())
    host = FakeGreenApiHost()
    fakes = []
    for n in range(count):
        instance_id, token = _instance(n)
        fake = FakeGreenApi(instance_id=instance_id, token=token, host=host)
        fake.journal = [
            {
                "type": "incoming",
                "idMessage": f"BENCH{n:04d}",
                "timestamp": yesterday_noon + n,
                "typeMessage": "incomingCall",
                "chatId": f"7900{n:07d}@c.us",
                "isVideo": False,
                "status": "missed",
            }
        ]
        fakes.append(fake)
    host.start()
    conn.send(host.url)
    while conn.recv() == "sent":
        conn.send(sum(len(fake.requests_for("sendMessage")) for fake in fakes))
    for fake in fakes:
        fake.stop()


def _deployment_env(url: str, count: int) -> dict[str, str]:
    instances = {
        str(instance_id): {"apiUrl": url, "apiTokenInstance": token, "operatorChatId": OPERATOR}
        for instance_id, token in map(_instance, range(count))
    }
    return {
        "FIRESTORE_EMULATOR_HOST": os.environ["FIRESTORE_EMULATOR_HOST"],
        "GOOGLE_CLOUD_PROJECT": os.environ["GOOGLE_CLOUD_PROJECT"],
        "GREEN_API_INSTANCES": json.dumps(instances),
        "DIGEST_TIME": "00:00",
        "LOG_LEVEL": "ERROR",
        "CONTACT_LOOKUP_BUDGET": "2",
    }


# -- a worker: one warm function instance -------------------------------------------------------

_CONFIG: Any = None  # the worker's, read once as main.py reads CONFIG at start


def warm_worker(env: dict[str, str], ready: Any) -> None:
    """What a warm function instance has done before its next task: read its configuration,
    imported its modules, reached its database. Then waits for the others."""
    global _CONFIG
    import call_logger.flows.scheduled
    import call_logger.green_api  # noqa: F401
    from call_logger.settings.config import Config
    from call_logger.stores.factory import make_store

    logging.disable(logging.ERROR)  # the run's lines are not the figure
    _CONFIG = Config.from_env(env)
    make_store(_CONFIG).digest_claimed("warm-up")
    ready.wait()


def run_task(task: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """One task, as the queue delivers it to the function: its error and its counts."""
    from call_logger.flows.scheduled import run

    done = run(_CONFIG, dict(task))
    return done.error, done.counts


def _digest_reads(config: Any, instance_id: int) -> int:
    from call_logger.flows.reporting import run_digest
    from call_logger.stores.factory import make_store

    store = CountingStore(make_store(config))
    run_digest(store, config.for_instance(instance_id), None, instance_id=instance_id)
    return store.records_read


def _wipe_emulator() -> None:
    from devserver.emulator import FirestoreEmulator

    port = int(os.environ["FIRESTORE_EMULATOR_HOST"].rsplit(":", 1)[1])
    FirestoreEmulator(port, os.environ["GOOGLE_CLOUD_PROJECT"]).wipe()


def probe_scheduled() -> dict[str, Any]:
    import call_logger.task_queues as task_queues
    from call_logger.flows.scheduled import run, task
    from call_logger.settings.config import Config

    conn, child = CONTEXT.Pipe()
    instances = CONTEXT.Process(target=serve_instances, args=(child, MANY), daemon=True)
    instances.start()
    try:
        env = _deployment_env(conn.recv(), MANY)
        config = Config.from_env(env)
        ready = CONTEXT.Barrier(SCHEDULED_CONCURRENCY + 1)
        with CONTEXT.Pool(SCHEDULED_CONCURRENCY, warm_worker, (env, ready)) as workers:
            ready.wait(timeout=300)
            # One task alone in a warm worker, the others idle.
            single_seconds = []
            for n in range(SINGLE_RUNS):
                started = time.perf_counter()
                error, counts = workers.apply(run_task, (task(_instance(n)[0], EVENT["since"]),))
                single_seconds.append(time.perf_counter() - started)
                if error is not None or counts.get("added") != 1:
                    raise RuntimeError(f"one task: {error} {counts}")
            reads_alone = _digest_reads(config, FIRST_ID)

            # MANY instances from an empty database: the real dispatch onto the queue, then
            # the queue's workers.
            _wipe_emulator()
            conn.send("sent")
            sent_before = conn.recv()
            queue = LocalQueue()
            queue_of_config = task_queues.task_queue
            task_queues.task_queue = lambda config: queue
            try:
                started = time.perf_counter()
                dispatched = run(config, EVENT)
                done = queue.drain(workers)
                many_seconds = time.perf_counter() - started
            finally:
                task_queues.task_queue = queue_of_config
        conn.send("sent")
        digests_sent = conn.recv() - sent_before
        reads_many = _digest_reads(config, FIRST_ID)
    finally:
        conn.send("stop")
        instances.join(timeout=30)
    added = sum(counts.get("added", 0) for counts in done)
    if added != MANY:
        raise RuntimeError(f"{MANY} instances, {added} records added")
    return {
        "scheduled_1_instance_seconds": round(statistics.median(single_seconds), 4),
        "single_runs_seconds": [round(s, 4) for s in single_seconds],
        "scheduled_500_instances_seconds": round(many_seconds, 3),
        "scheduled_concurrency": SCHEDULED_CONCURRENCY,
        "instances": len(config.instances),
        "dispatched": dispatched.counts.get("dispatched"),
        "digests_sent": digests_sent,
        "digest_reads_alone": reads_alone,
        "digest_reads_500_instances": reads_many,
    }


# -- alone: `python -m bench.scheduled_probe` -------------------------------------------------

ALONE_NOTE = "The scheduled figures ("


def write_alone(raw: dict[str, Any], folder: Path, when: str) -> dict[str, float]:
    """The figures of this probe's run in folder/results.json, and their rows of results.md
    replaced, with a note that they come from a run of their own (`when`: its date and load)."""
    from bench.figures import scheduled_figures
    from bench.report import SCHEDULED_METHOD

    results, table = scheduled_figures(raw)
    json_path, md_path = folder / "results.json", folder / "results.md"
    json_path.write_text(json.dumps(json.loads(json_path.read_text()) | results, indent=2) + "\n")
    rows = {f"| `{figure.key}` |": figure.row(results) for figure in table}
    lines = [
        next((row for key, row in rows.items() if key in line), line)
        for line in md_path.read_text().splitlines()
        if not line.startswith(ALONE_NOTE)
    ]
    keys = ", ".join(f"`{figure.key}`" for figure in table)
    note = (
        f"{ALONE_NOTE}{keys}) are from a run of the scheduled probe alone "
        f"(`python -m bench.scheduled_probe`, {when}), not from the run of the rest of the page."
    )
    # Below the table: after the blank line that ends it.
    last_row = max(n for n, line in enumerate(lines) if any(key in line for key in rows))
    end = next(n for n in range(last_row, len(lines)) if not lines[n])
    lines.insert(end + 1, note)
    if lines[end + 2]:
        lines.insert(end + 2, "")
    # How it was measured: the bullet a run of the whole bench writes after reconcile's.
    method = next((n for n, line in enumerate(lines) if line.startswith("- Scheduled:")), None)
    if method is None:
        reconcile = next(n for n, line in enumerate(lines) if line.startswith("- Reconcile:"))
        lines.insert(reconcile + 1, SCHEDULED_METHOD)
    else:
        lines[method] = SCHEDULED_METHOD
    md_path.write_text("\n".join(lines) + "\n")
    return results


def main() -> int:
    from bench.measure import probe
    from bench.report import loadavg
    from bench.settings import BENCH
    from devserver.emulator import FirestoreEmulator

    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = loadavg()
    with FirestoreEmulator() as emulator:
        raw = probe("scheduled", emulator.environ())
    results = write_alone(raw, BENCH, f"{started}, load average {load} → {loadavg()}")
    print(json.dumps(raw, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
