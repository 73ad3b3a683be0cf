"""Probes that need a fresh process of their own; each prints one JSON object on stdout.

python -m bench.probes imports      the ignored path through create_app's test client:
                                    which heavy modules did it import?
python -m bench.probes roundtrips   the real function (main.py in functions-framework's
                                    test client) against the Firestore emulator named by
                                    FIRESTORE_EMULATOR_HOST and a FakeGreenApi: Firestore RPCs
                                    per notification, counted on the gRPC channel, and
                                    GetContactInfo requests per caller.
python -m bench.probes reconcile    reconcile of RECONCILE_BENCH_ENTRIES (10,000) journal
                                    entries from a FakeGreenApi, nine in ten already recorded,
                                    against the emulator named by FIRESTORE_EMULATOR_HOST: its
                                    seconds, and the Firestore read RPCs of a second run, when
                                    every entry is recorded.
python -m bench.probes events       events delivered per second (bench/events.py).
python -m bench.probes scheduled    the scheduled run dispatching one task per instance, one
                                    instance alone and 500 on a queue played locally
                                    (bench/scheduled_probe.py).
"""

from __future__ import annotations

import collections
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.scheduled_probe import probe_scheduled

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "function" / "main.py"
SAMPLES = ROOT / "tests" / "samples"
TOKEN = "bench-webhook-token-0b1e"
# stateInstanceChanged is not among them: it is stored (instances/{idInstance}).
IGNORED_SAMPLES = (
    "incoming-message",
    "outgoing-message-status",
    "quota-exceeded",
)
# Modules the ignored path must never import (they cost cold-start time and memory).
HEAVY_MODULES = ("google.cloud.firestore", "requests")

CALLERS = 5
CALLS_PER_CALLER = 4  # each call: an offer and a final status, so 8 notifications per caller


def _client(env: dict[str, str]) -> Any:
    import functions_framework

    os.environ.update(env)
    app = functions_framework.create_app(target="handle_webhook", source=str(MAIN))
    return app.test_client()


def _post(client: Any, body: bytes) -> int:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    status: int = client.post("/", data=body, headers=headers).status_code
    return status


def probe_imports() -> dict[str, Any]:
    client = _client({"WEBHOOK_TOKEN": TOKEN})
    statuses = [_post(client, (SAMPLES / f"{name}.json").read_bytes()) for name in IGNORED_SAMPLES]
    return {
        "statuses": statuses,
        "imported": {name: name in sys.modules for name in HEAVY_MODULES},
    }


class RpcCounter:
    """Counts every RPC that leaves a gRPC channel, by method (retries included)."""

    def __init__(self) -> None:
        self.by_method: collections.Counter[str] = collections.Counter()

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    def interceptor(self) -> Any:
        import grpc

        counter = self

        class Interceptor(
            grpc.UnaryUnaryClientInterceptor,
            grpc.UnaryStreamClientInterceptor,
            grpc.StreamUnaryClientInterceptor,
            grpc.StreamStreamClientInterceptor,
        ):
            def _count(self, call: Callable[..., Any], details: Any, request: Any) -> Any:
                counter.by_method[details.method.rsplit("/", 1)[-1]] += 1
                return call(details, request)

            intercept_unary_unary = _count
            intercept_unary_stream = _count
            intercept_stream_unary = _count
            intercept_stream_stream = _count

        return Interceptor()


def _count_emulator_rpcs() -> RpcCounter:
    """Wrap every channel the Firestore client opens to the emulator in a counting interceptor."""
    import grpc
    from google.cloud.firestore_v1.base_client import BaseClient

    counter = RpcCounter()
    original = BaseClient._emulator_channel

    def counted(self: Any, transport: Any) -> Any:
        return grpc.intercept_channel(original(self, transport), counter.interceptor())

    BaseClient._emulator_channel = counted  # type: ignore[method-assign]
    return counter


def _notifications(callers: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Calls of several callers, interleaved: an offer, then its final status."""
    offer = json.loads((SAMPLES / "incoming-call-offer.json").read_text())
    finals = ("hungUp", "pickUp", "declined", "missed")
    for call in range(CALLS_PER_CALLER):
        for number, chat_id in enumerate(callers):
            for step, status in enumerate(("offer", finals[call % len(finals)])):
                body = dict(offer)
                body.update(
                    {
                        "from": chat_id,
                        "status": status,
                        "timestamp": offer["timestamp"] + call * 600 + step * 30,
                        "idMessage": f"{number:08X}{call:08X}{step:016X}",
                    }
                )
                yield chat_id, body


def probe_roundtrips() -> dict[str, Any]:
    from devserver.fake_green_api import FakeGreenApi

    counter = _count_emulator_rpcs()
    callers = [f"7900555{n:04d}@c.us" for n in range(CALLERS)]
    with FakeGreenApi() as fake:
        for n, chat_id in enumerate(callers):
            fake.set_contact(chat_id, contact_name=f"Caller {n}")
        client = _client(
            {
                "WEBHOOK_TOKEN": TOKEN,
                "GREEN_API_ID_INSTANCE": str(fake.instance_id),
                "GREEN_API_TOKEN": fake.token,
                "GREEN_API_URL": fake.url,
                "CONTACT_CACHE_TTL": "24h",
                "CALL_MODE": "all",
            }
        )
        first: list[int] = []  # the first notification of a caller: its name is not cached yet
        cached: list[int] = []
        duplicates: list[int] = []
        seen: set[str] = set()
        cached_methods: collections.Counter[str] = collections.Counter()
        for chat_id, body in _notifications(callers):
            raw = json.dumps(body).encode()
            before = counter.total
            methods_before = collections.Counter(counter.by_method)
            if _post(client, raw) != 200:
                raise RuntimeError(f"incomingCall {body['idMessage']} was not answered 200")
            spent = counter.total - before
            if chat_id in seen:
                cached.append(spent)
                cached_methods.update(counter.by_method - methods_before)
            else:
                first.append(spent)
                seen.add(chat_id)
            before = counter.total
            if _post(client, raw) != 200:  # GREEN-API's at-least-once redelivery
                raise RuntimeError(f"the duplicate of {body['idMessage']} was not answered 200")
            duplicates.append(counter.total - before)
        lookups = len(fake.requests_for("getContactInfo"))
    from google.cloud import firestore

    stored = len(list(firestore.Client().collection_group("records").stream()))
    recorded = len(first) + len(cached)
    if min(cached) == 0:  # the channel hook (a private method of the client) was not used
        raise RuntimeError("no Firestore RPC was counted: the counting interceptor is not in place")
    if stored != recorded:
        raise RuntimeError(f"{recorded} notifications answered, {stored} records stored")
    return {
        "callers": CALLERS,
        "notifications_per_caller": recorded // CALLERS,
        "roundtrips_per_recorded_call": sum(cached) / len(cached),
        "roundtrips_max_cached": max(cached),
        "roundtrips_first_of_caller": sum(first) / len(first),
        "roundtrips_per_duplicate": sum(duplicates) / len(duplicates),
        "cached_rpcs_by_method": dict(cached_methods),
        "contact_lookups": lookups,
        "contact_lookups_per_caller": lookups / CALLERS,
    }


RECONCILE_ENTRIES = 10_000
RECONCILE_CHATS = 1_000
READ_METHODS = ("BatchGetDocuments", "RunQuery")


def probe_reconcile() -> dict[str, Any]:
    """Journal entries of RECONCILE_CHATS chats, one in ten of them lost (the rest recorded as
    the webhook would have: same keys), the chats' names cached, so no lookup is made."""
    import time
    from datetime import timedelta

    from call_logger.core.journal import ReconcileRun
    from call_logger.flows.reconcile import run_reconcile
    from call_logger.settings.config import Config
    from google.cloud import firestore

    from devserver.fake_green_api import FakeGreenApi

    entries = int(os.environ.get("RECONCILE_BENCH_ENTRIES", RECONCILE_ENTRIES))
    counter = _count_emulator_rpcs()
    now = int(time.time())
    journal: list[dict[str, Any]] = [
        {
            "type": "incoming",
            "idMessage": f"BENCH{n:011d}",
            "timestamp": now - 3600 - n * 30,
            "typeMessage": "incomingCall",
            "chatId": f"7900{n % RECONCILE_CHATS:07d}@c.us",
            "isVideo": False,
            "status": ("pickUp", "declined", "hungUp", "missed")[n % 4],
        }
        for n in range(entries)
    ]
    with FakeGreenApi() as fake:
        fake.journal = journal
        config = Config.from_env(
            {
                "GOOGLE_CLOUD_PROJECT": os.environ["GOOGLE_CLOUD_PROJECT"],
                "GREEN_API_ID_INSTANCE": str(fake.instance_id),
                "GREEN_API_TOKEN": fake.token,
                "GREEN_API_URL": fake.url,
            }
        )
        _seed_recorded(firestore.Client(), fake.instance_id, journal)
        since = timedelta(seconds=now - journal[-1]["timestamp"] + 3600)
        started = time.perf_counter()
        (first,) = run_reconcile(config, ReconcileRun(since, lookup_budget=0))
        seconds = time.perf_counter() - started
        before = collections.Counter(counter.by_method)
        (second,) = run_reconcile(config, ReconcileRun(since, lookup_budget=0))
        reads = sum((counter.by_method - before)[method] for method in READ_METHODS)
    lost = sum(_lost(n) for n in range(entries))
    if first.error or second.error or first.added != lost:
        raise RuntimeError(f"reconcile did not do what was expected: {first}, {second}")
    if second.already_recorded != entries or reads == 0:
        raise RuntimeError(f"the second run saw {second} with {reads} reads counted")
    return {
        "entries": entries,
        "already_recorded_before": first.already_recorded,
        "added": first.added,
        "reconcile_seconds": round(seconds, 2),
        "second_run_read_rpcs": reads,
        "reads_per_100_recorded": reads / (entries / 100),
    }


def _lost(n: int) -> bool:
    """Entry n's webhook was lost: one in ten, one of each chat's ten calls, at a position that
    differs from chat to chat (its newest for some chats, an older one for others)."""
    return n % 10 == (n // RECONCILE_CHATS) % 10


def _seed_recorded(db: Any, instance_id: int, journal: list[dict[str, Any]]) -> None:
    """Nine in ten entries as the webhook recorded them (see _lost), and every chat
    with a cached name and its lastCallAt, written in batches (the benchmark measures reconcile,
    not the seeding)."""
    from datetime import UTC, datetime

    recorded = [entry for n, entry in enumerate(journal) if not _lost(n)]
    last_call: dict[str, int] = {}
    for entry in recorded:
        last_call[entry["chatId"]] = max(entry["timestamp"], last_call.get(entry["chatId"], 0))
    documents: list[tuple[str, dict[str, Any]]] = [
        (
            f"chats/{instance_id}_{chat_id}",
            {
                "chatId": chat_id,
                "callerName": "Known caller",
                "callerNameCheckedAt": None,
                "lastCallAt": datetime.fromtimestamp(timestamp, UTC),
            },
        )
        for chat_id, timestamp in sorted(last_call.items())
    ]
    documents += [
        (
            f"chats/{instance_id}_{e['chatId']}/records/{e['idMessage']}_{e['status']}",
            {
                "chatId": e["chatId"],
                "status": e["status"],
                "eventAt": datetime.fromtimestamp(e["timestamp"], UTC),
                "source": "webhook",
            },
        )
        for e in recorded
    ]
    for start in range(0, len(documents), 400):  # a batch holds at most 500 writes
        batch = db.batch()
        for path, fields in documents[start : start + 400]:
            batch.set(db.document(path), fields)
        batch.commit()


def probe_events() -> dict[str, Any]:
    from bench.events import delivery_probe

    return delivery_probe()


PROBES: dict[str, Callable[[], dict[str, Any]]] = {
    "imports": probe_imports,
    "roundtrips": probe_roundtrips,
    "reconcile": probe_reconcile,
    "events": probe_events,
    "scheduled": probe_scheduled,  # bench/scheduled_probe.py
}

if __name__ == "__main__":
    print(json.dumps(PROBES[sys.argv[1]]()))
