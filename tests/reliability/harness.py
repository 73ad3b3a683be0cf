"""The reliability suite's machinery: the function behind a real HTTP server, simulated GREEN-API
instances that deliver the way GREEN-API does, and the counts each scenario reports.

Nothing here imports the code under test: expectations come from the tables of docs/.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import requests
from flask import Flask
from google.cloud import firestore
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.conftest import TOKEN, sample
from tests.support.label_table import canonical, expected_label

FINAL_STATUSES = ("pickUp", "hungUp", "hangUp", "missed", "declined", "ringingAgain")
# Types the function acknowledges without storage (stateInstanceChanged is stored now: in an
# outage it rightly answers 503, so it is no ignored noise).
IGNORED_SAMPLES = (
    "incoming-message",
    "outgoing-message-status",
    "quota-exceeded",
)
# GREEN-API's documented pace: about 50 notifications per second per instance.
PACE = 1 / 50


# -- notifications -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """One notification as GREEN-API would deliver it, and what it should leave behind."""

    body: bytes
    call: bool  # an incomingCall
    record: str | None = None  # chats/{chat}/records/{record} it creates, if any
    label: str | None = None
    chat: str | None = None  # chats/{chat}
    event_at: int | None = None


class Ids:
    """Unique call ids and increasing timestamps for one scenario."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._timestamp = 1_764_000_000

    def call_id(self) -> str:
        return f"{self._rng.getrandbits(128):032X}"

    def timestamp(self) -> int:
        self._timestamp += self._rng.randint(1, 9)
        return self._timestamp


def call_note(mode: str, instance: int, chat_id: str, call_id: str, status: str, ts: int) -> Note:
    body = sample("incoming-call-offer") | {
        "instanceData": {
            "idInstance": instance,
            "wid": "79009876543@c.us",
            "typeInstance": "whatsapp",
        },
        "from": chat_id,
        "idMessage": call_id,
        "status": status,
        "timestamp": ts,
    }
    label = expected_label(mode, status)
    chat = f"chats/{instance}_{chat_id}"
    return Note(
        body=json.dumps(body).encode(),
        call=True,
        record=None if label is None else f"{chat}/records/{call_id}_{canonical(status)}",
        label=label,
        chat=None if label is None else chat,
        event_at=ts,
    )


def ignored_note(rng: random.Random, instance: int, ids: Ids) -> Note:
    body = sample(rng.choice(IGNORED_SAMPLES))
    body["instanceData"] = body.get("instanceData", {}) | {"idInstance": instance}
    body["timestamp"] = ids.timestamp()
    if "idMessage" in body:
        body["idMessage"] = ids.call_id()
    return Note(body=json.dumps(body).encode(), call=False)


def instance_stream(
    rng: random.Random,
    ids: Ids,
    *,
    mode: str,
    instance: int,
    callers: Sequence[str],
    calls: int,
    ignored: int,
    max_copies: int = 3,
) -> list[Note]:
    """One instance's deliveries: `calls` offer/final pairs, each notification delivered one to
    `max_copies` times, mixed with `ignored` other notifications, all in shuffled order (so a
    final status often arrives before its offer, and a copy long after the first)."""
    stream: list[Note] = []
    for _ in range(calls):
        chat_id = rng.choice(callers)
        offer_id = ids.call_id()
        # Whether offer and final share the idMessage is undocumented: do both.
        final_id = offer_id if rng.random() < 0.5 else ids.call_id()
        offer_ts = ids.timestamp()
        pair = [
            call_note(mode, instance, chat_id, offer_id, "offer", offer_ts),
            call_note(
                mode, instance, chat_id, final_id, rng.choice(FINAL_STATUSES), ids.timestamp()
            ),
        ]
        for note in pair:
            stream.extend([note] * rng.randint(1, max_copies))
    stream.extend(ignored_note(rng, instance, ids) for _ in range(ignored))
    rng.shuffle(stream)
    return stream


def callers(rng: random.Random, count: int) -> list[str]:
    """Chat ids: mostly phone numbers, some opaque lid ids."""
    found: list[str] = []
    while len(found) < count:
        number = rng.randint(10**10, 10**11 - 1)
        found.append(f"{number}@lid" if rng.random() < 0.2 else f"{number}@c.us")
    return found


# -- the function behind a real HTTP server ---------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # thousands of access-log lines would only bury the interesting ones


class LiveServer:
    """A Flask app (functions-framework's) served by werkzeug on 127.0.0.1, in this process so
    that caplog sees the function's logs."""

    def __init__(self, app: Flask) -> None:
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


# -- simulated GREEN-API instances ------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    index: int  # the notification's position in its instance's stream
    call: bool
    status: int | None  # None: no answer (connection error or client timeout)
    started: float  # time.monotonic()
    ended: float


class Gate:
    """Lets the test hold new deliveries back and wait until none is in flight."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open = True
        self._in_flight = 0

    def enter(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._open, timeout=120)
            self._in_flight += 1

    def leave(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def close_and_drain(self, timeout: float = 60) -> None:
        with self._cond:
            self._open = False
            if not self._cond.wait_for(lambda: self._in_flight == 0, timeout=timeout):
                raise AssertionError("deliveries still in flight after the drain bound")

    def open(self) -> None:
        with self._cond:
            self._open = True
            self._cond.notify_all()


class Instance(threading.Thread):
    """Delivers its stream like GREEN-API: one notification at a time, at most 50/s, the same
    notification again after a short wait until it is answered 200 (GREEN-API waits 60 s).

    Bounded: at most `max_attempts` per notification and `deadline` seconds in all; a
    notification that never got its 200 is counted in `undelivered`."""

    def __init__(
        self,
        url: str,
        stream: list[Note],
        *,
        token: str = TOKEN,
        resend_wait: float = 0.1,
        max_attempts: int = 300,
        deadline: float = 180.0,
        gate: Gate | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stream = stream
        self.token = token
        self.resend_wait = resend_wait
        self.max_attempts = max_attempts
        self.deadline = deadline
        self.gate = gate
        self.attempts: list[Attempt] = []
        self.undelivered: list[int] = []
        self.errors: list[str] = []

    def run(self) -> None:
        try:
            self._deliver_all()
        except Exception as error:  # reported by the test, never lost in a thread
            self.errors.append(repr(error))

    def _deliver_all(self) -> None:
        stop_at = time.monotonic() + self.deadline
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        last_start = 0.0
        with requests.Session() as session:
            for index, note in enumerate(self.stream):
                delivered = False
                for _ in range(self.max_attempts):
                    if time.monotonic() > stop_at:
                        break
                    pause = last_start + PACE - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    if self.gate:
                        self.gate.enter()
                    try:
                        started = last_start = time.monotonic()
                        try:
                            answer = session.post(
                                self.url, data=note.body, headers=headers, timeout=60
                            )
                            status: int | None = answer.status_code
                        except requests.RequestException:
                            status = None
                        ended = time.monotonic()
                    finally:
                        if self.gate:
                            self.gate.leave()
                    self.attempts.append(Attempt(index, note.call, status, started, ended))
                    if status == 200:
                        delivered = True
                        break
                    time.sleep(self.resend_wait)
                if not delivered:
                    self.undelivered.append(index)

    @property
    def acknowledged(self) -> int:
        return sum(1 for attempt in self.attempts if attempt.status == 200)


def run_all(instances: Sequence[Instance], bound: float = 300) -> None:
    """Start the instances not started yet and wait (bounded) until each has delivered all."""
    for instance in instances:
        if instance.ident is None:
            instance.start()
    for instance in instances:
        instance.join(timeout=bound)
        assert not instance.is_alive(), "a simulated instance did not finish within its bound"
        assert not instance.errors, instance.errors


def attempts(instances: Sequence[Instance]) -> Iterator[Attempt]:
    for instance in instances:
        yield from instance.attempts


# -- what the database holds ------------------------------------------------------------------


def stored_records(db: firestore.Client) -> list[tuple[str, dict[str, Any]]]:
    """Every record, by a collection-group query (a list: a path seen twice would show)."""
    return [
        (doc.reference.path, doc.to_dict() or {}) for doc in db.collection_group("records").stream()
    ]


def stored_paths(db: firestore.Client, collection: str) -> list[str]:
    return [doc.reference.path for doc in db.collection(collection).stream()]


# -- the counts each scenario reports ---------------------------------------------------------

SUMMARY: list[str] = []


def report(scenario: str, **counts: object) -> None:
    """One line for the end of the pytest run, whatever -s says."""
    SUMMARY.append(f"{scenario}: " + ", ".join(f"{key}={value}" for key, value in counts.items()))
