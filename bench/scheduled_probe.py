"""`python -m bench.probes scheduled`: the scheduled work, the real dispatch and task code
(call_logger.flows.scheduled) against the Firestore emulator named by FIRESTORE_EMULATOR_HOST and
one fake GREEN-API server per instance, the queue's concurrency played locally by a pool of
SCHEDULED_CONCURRENCY workers (as Cloud Tasks' max_concurrent_dispatches or the SQS mapping's
maximum concurrency would).

Each instance has one call in its journal that the log lacks (yesterday noon), an operator chat
and DIGEST_TIME passed: a task reconciles it (one record added), runs the state-check hook and
sends its digest. Measured: the seconds of one instance alone (the run inline, no queue: median
of a few instances), the seconds of MANY instances dispatched onto the queue until every task
is done, and the records one instance's digest reads with MANY instances' records stored against
the same instance alone.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

MANY = int(os.environ.get("SCHEDULED_BENCH_INSTANCES", "500"))  # fewer: the test's quick run
SCHEDULED_CONCURRENCY = 10
SINGLE_RUNS = 3  # instances timed alone; the median is the figure
FIRST_ID = 1102000001
OPERATOR = "79990000000@c.us"
EVENT = {"action": "reconcile", "since": "2d"}


class LocalQueue:
    """The cloud's queue on this machine: what dispatch sends is kept, then run by `workers`
    at once, each task once (none fails here)."""

    def __init__(self) -> None:
        self.tasks: list[Mapping[str, Any]] = []

    def send(self, tasks: Sequence[Mapping[str, Any]]) -> None:
        self.tasks.extend(tasks)

    def drain(self, config: Any, workers: int) -> list[Any]:
        from call_logger.flows.scheduled import run

        with ThreadPoolExecutor(workers) as pool:
            done = list(pool.map(lambda task: run(config, dict(task)), self.tasks))
        failed = [d.error for d in done if d.error is not None]
        if failed:
            raise RuntimeError(f"{len(failed)} tasks failed: {failed[:3]}")
        return done


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


def _servers(stack: ExitStack, count: int) -> list[Any]:
    from devserver.fake_green_api import FakeGreenApi

    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    yesterday_noon = int((noon - timedelta(days=1)).timestamp())
    fakes = []
    for n in range(count):
        fake = FakeGreenApi(instance_id=FIRST_ID + n, token=f"bench-token-{n:04d}-0123456789")
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
        fake.start()
        stack.callback(fake.stop)
        fakes.append(fake)
    return fakes


def _config(fakes: Sequence[Any]) -> Any:
    from call_logger.settings.config import Config

    instances = {
        str(fake.instance_id): {
            "apiUrl": fake.url,
            "apiTokenInstance": fake.token,
            "operatorChatId": OPERATOR,
        }
        for fake in fakes
    }
    env = {
        "FIRESTORE_EMULATOR_HOST": os.environ["FIRESTORE_EMULATOR_HOST"],
        "GOOGLE_CLOUD_PROJECT": os.environ["GOOGLE_CLOUD_PROJECT"],
        "GREEN_API_INSTANCES": json.dumps(instances),
        "DIGEST_TIME": "00:00",
        "LOG_LEVEL": "ERROR",
        "CONTACT_LOOKUP_BUDGET": "2",
    }
    return Config.from_env(env)


def _digest_reads(config: Any, instance_id: int) -> int:
    from call_logger.flows.reporting import run_digest
    from call_logger.stores.factory import make_store

    store = CountingStore(make_store(config))
    run_digest(store, config.for_instance(instance_id), None, instance_id=instance_id)
    return store.records_read


def probe_scheduled() -> dict[str, Any]:
    import logging

    from call_logger.flows.scheduled import run

    logging.disable(logging.ERROR)  # the run's lines are not the figure
    with ExitStack() as stack:
        fakes = _servers(stack, MANY - 1 + SINGLE_RUNS)
        alone, many = fakes[:SINGLE_RUNS], fakes[SINGLE_RUNS:]
        # One instance, its deployment of one: no queue, the task runs in the scheduled run.
        single_seconds = []
        for fake in alone:
            config = _config([fake])
            started = time.perf_counter()
            done = run(config, EVENT)
            single_seconds.append(time.perf_counter() - started)
            if done.error is not None or done.counts.get("added") != 1:
                raise RuntimeError(f"one instance: {done}")
        reads_alone = _digest_reads(_config([alone[0]]), alone[0].instance_id)

        # MANY instances: the real dispatch onto the queue, then the queue's workers.
        config = _config([alone[0], *many])
        queue = LocalQueue()
        import call_logger.task_queues as task_queues

        stack.callback(setattr, task_queues, "task_queue", task_queues.task_queue)
        task_queues.task_queue = lambda config: queue
        started = time.perf_counter()
        dispatched = run(config, EVENT)
        queue.drain(config, SCHEDULED_CONCURRENCY)
        many_seconds = time.perf_counter() - started
        digests_sent = sum(
            1 for fake in many for request in fake.requests if "sendMessage" in request.path
        )
        reads_many = _digest_reads(config, alone[0].instance_id)
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
