"""A fake GREEN-API: a real HTTP server on 127.0.0.1 that speaks the documented shapes.

The benchmark runs the function against it, and so do the tests (their `fake_green_api` fixture,
in tests/conftest.py): point a client at `server.url`, `server.instance_id` and `server.token`,
then look at `server.requests`.

Failure injection, per GREEN-API method:

    server.fail("getContactInfo", status=429, times=2)      # answer 429 twice, then normally
    server.fail("getContactInfo", hang=5)                   # wait 5 s, then answer normally
    server.fail("getContactInfo", hang=FOREVER)             # wait until release() or shutdown
    server.fail("receiveNotification", drop=True)           # close the socket, no answer
    server.fail("getContactInfo", trickle=0.2)              # send the body a byte every 0.2 s
    server.fail("getSettings", bad_json=True)               # 200 with a body that is not JSON
    server.fail("getSettings", status=503, headers={"Retry-After": "1"})

The instance: `server.state` is what getStateInstance answers (any string, verbatim: authorized,
notAuthorized, blocked, suspended, PassKeyRequire, ...); getWebhooksCount answers the number of
notifications waiting in the queue (`server.enqueue`), and `server.webhooks_count`, when set,
in its place (a webhook backlog without queue items). `server.settings` is what getSettings
answers (every switch "no", as on an instance created without settings) and setSettings
updates: each setSettings counts one restart in `server.restarts`, as GREEN-API restarts the
instance on every call.

The call journal: `server.journal` holds lastIncomingCalls entries (any order; an entry that is
not an object with an integer timestamp is always served, so malformed entries can be tested);
`?minutes=N` (default 1440) keeps the entries of the last N minutes, newest first.

Hanging and trickling handlers wait on events that release() and stop() set, so shutdown is
prompt even while a client is stuck.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FOREVER = math.inf
# enqueue(NO_BODY): a queue item whose receiveNotification answer has a receiptId and no body.
NO_BODY: Any = object()

# GREEN-API method -> the HTTP verb it answers to (anything else is 404, as GREEN-API does).
VERBS: Mapping[str, str] = {
    "getContactInfo": "POST",
    "checkWhatsapp": "POST",
    "sendMessage": "POST",
    "getSettings": "GET",
    "setSettings": "POST",
    "receiveNotification": "GET",
    "deleteNotification": "DELETE",
    "getWebhooksCount": "GET",
    "getStateInstance": "GET",
    "lastIncomingCalls": "GET",
}
# lastIncomingCalls without ?minutes= covers this many minutes (GREEN-API's documented default).
JOURNAL_DEFAULT_MINUTES = 1440


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it (recorded before auth and fault handling)."""

    verb: str
    path: str
    method: str  # the GREEN-API method named in the path, "" if the path has none
    query: Mapping[str, str]
    json: Any  # parsed body, None when there was none or it was not JSON
    headers: Mapping[str, str]


@dataclass
class Fault:
    status: int | None = None
    hang: float | None = None
    drop: bool = False
    trickle: float | None = None
    bad_json: bool = False
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    times: int | None = None  # None: every request until clear_faults()


class FakeGreenApi:
    def __init__(
        self,
        *,
        instance_id: int = 1101000001,
        token: str = "f4k3t0k3n5ecret0123456789abcdef0123456789abcdef",
        empty_wait_cap: float = 0.2,
        host: FakeGreenApiHost | None = None,
    ) -> None:
        self.instance_id = instance_id
        self.token = token
        # receiveNotification on an empty queue waits min(receiveTimeout, this) seconds.
        self.empty_wait_cap = empty_wait_cap
        self.contacts: dict[str, dict[str, Any]] = {}
        self.lids: dict[str, str] = {}  # phone chat id -> the lid checkWhatsapp answers
        self.messages: list[dict[str, Any]] = []
        # getSettings' documented fields (wid is added to each answer).
        self.settings: dict[str, Any] = {
            "countryInstance": "",
            "typeAccount": "",
            "webhookUrl": "",
            "webhookUrlToken": "",
            "delaySendMessagesMilliseconds": 5000,
            "markIncomingMessagesReaded": "no",
            "markIncomingMessagesReadedOnReply": "no",
            "sharedSession": "no",
            "outgoingWebhook": "no",
            "outgoingMessageWebhook": "no",
            "outgoingAPIMessageWebhook": "no",
            "incomingWebhook": "no",
            "deviceWebhook": "no",
            "statusInstanceWebhook": "no",
            "stateWebhook": "no",
            "enableMessagesHistory": "no",
            "keepOnlineStatus": "no",
            "pollMessageWebhook": "no",
            "incomingBlockWebhook": "no",
            "incomingCallWebhook": "no",
            "outgoingCallWebhook": "no",
            "editedMessageWebhook": "no",
            "deletedMessageWebhook": "no",
        }
        self.restarts = 0  # setSettings calls that were answered (each restarts the instance)
        self.state = "authorized"  # what getStateInstance answers ...
        self._next_states: list[str] = []  # ... after these, one per request (answer_states)
        self.webhooks_count: int | None = None  # getWebhooksCount: None counts the queue
        self.journal: list[Any] = []
        self.requests: list[RecordedRequest] = []
        self._queue: list[tuple[int, Any]] = []
        self._receipts = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._release = threading.Event()
        # Served by its own server, or by a host's with other instances (as apiUrl is shared).
        self._host = host or FakeGreenApiHost()
        self._host.add(self)

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._host.url

    def start(self) -> FakeGreenApi:
        self._host.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes hanging, trickling and long-polling handlers
        self._release.set()
        with self._lock:
            self._lock.notify_all()
        self._host.stop()

    def __enter__(self) -> FakeGreenApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- state you configure ----------------------------------------------------------------

    def set_contact(self, chat_id: str, *, contact_name: str = "", name: str = "") -> None:
        """What getContactInfo answers for chat_id (unknown chats get empty names)."""
        self.contacts[chat_id] = {"contactName": contact_name, "name": name}

    def set_lid(self, phone_chat_id: str, lid: str) -> None:
        """What checkWhatsapp answers for a phone chat id: the lid of the same person (unknown
        numbers answer the id asked for, as for an account still known by its number)."""
        self.lids[phone_chat_id] = lid

    def enqueue(self, body: Any) -> int:
        """Append a notification to the receiveNotification queue; returns its receiptId."""
        with self._lock:
            receipt_id = next(self._receipts)
            self._queue.append((receipt_id, body))
            self._lock.notify_all()
        return receipt_id

    @property
    def queue(self) -> list[tuple[int, Any]]:
        with self._lock:
            return list(self._queue)

    def fail(
        self,
        method: str,
        *,
        status: int | None = None,
        hang: float | None = None,
        drop: bool = False,
        trickle: float | None = None,
        bad_json: bool = False,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        times: int | None = None,
    ) -> None:
        """Make `method` misbehave for the next `times` requests (every request if None).

        hang happens first (then the normal or faulty answer follows); drop closes the socket
        without answering; status answers that code with `body` (default {"message": ...});
        trickle sends the body one byte at a time, `trickle` seconds apart.
        """
        if method not in VERBS:
            raise ValueError(f"unknown GREEN-API method {method!r}")
        fault = Fault(status, hang, drop, trickle, bad_json, body, dict(headers or {}), times)
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def release(self) -> None:
        """Wake every handler currently hanging (later hangs wait again)."""
        with self._lock:
            released, self._release = self._release, threading.Event()
        released.set()

    def answer_states(self, *states: str) -> None:
        """getStateInstance answers these, one per request, then `state` again: e.g.
        ("starting", "starting") for an instance that setSettings has just restarted."""
        with self._lock:
            self._next_states.extend(states)

    def requests_for(self, method: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method]

    # -- used by the handler ----------------------------------------------------------------

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            faults = self._faults.get(method)
            if not faults:
                return None
            fault = faults[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    faults.pop(0)
            return fault

    def _wait(self, seconds: float) -> None:
        with self._lock:
            release = self._release
        release.wait(None if math.isinf(seconds) else seconds)

    def _answer(self, method: str, body: Any, query: Mapping[str, str], extra: str) -> Any:
        if method == "getContactInfo":
            chat_id = body.get("chatId", "") if isinstance(body, dict) else ""
            names = self.contacts.get(chat_id, {"contactName": "", "name": ""})
            return {**_CONTACT_TEMPLATE, "chatId": chat_id, **names}
        if method == "checkWhatsapp":
            # GREEN-API's newest docs: chatId (a phone or a lid) in, existsWhatsapp and the
            # found user's lid (its chatId) out.
            chat_id = body.get("chatId", "") if isinstance(body, dict) else ""
            return {"existsWhatsapp": True, "chatId": self.lids.get(chat_id, chat_id)}
        if method == "sendMessage":
            with self._lock:
                self.messages.append(body)
                return {"idMessage": f"BAE5{next(self._message_ids):012X}"}
        if method == "getSettings":
            with self._lock:
                return {"wid": "79009876543@c.us", **self.settings}
        if method == "setSettings":
            with self._lock:
                self.settings.update(body if isinstance(body, dict) else {})
                self.restarts += 1
            return {"saveSettings": True}
        if method == "receiveNotification":
            wait = min(float(query.get("receiveTimeout", "5")), self.empty_wait_cap)
            with self._lock:
                self._lock.wait_for(lambda: self._queue or self._stopping.is_set(), wait)
                if not self._queue:
                    return None
                receipt_id, notification = self._queue[0]
            if notification is NO_BODY:
                return {"receiptId": receipt_id}
            return {"receiptId": receipt_id, "body": notification}
        if method == "deleteNotification":
            with self._lock:
                kept = [item for item in self._queue if str(item[0]) != extra]
                found = len(kept) != len(self._queue)
                self._queue[:] = kept
            return {"result": found}
        if method == "getStateInstance":
            with self._lock:
                state = self._next_states.pop(0) if self._next_states else self.state
            return {"stateInstance": state}
        if method == "getWebhooksCount":
            with self._lock:
                count = self.webhooks_count
                return {"count": len(self._queue) if count is None else count}
        if method == "lastIncomingCalls":
            return self._journal_answer(query)
        raise AssertionError(method)

    def _journal_answer(self, query: Mapping[str, str]) -> list[Any]:
        minutes = int(query.get("minutes", JOURNAL_DEFAULT_MINUTES))
        since = time.time() - minutes * 60
        with self._lock:
            entries = list(self.journal)
        dated = [e for e in entries if _timestamp(e) is not None]
        kept = sorted((e for e in dated if _timestamp(e) >= since), key=_timestamp, reverse=True)
        return kept + [e for e in entries if _timestamp(e) is None]


_CONTACT_TEMPLATE: Mapping[str, Any] = {
    "avatar": "",
    "name": "",
    "contactName": "",
    "email": "",
    "category": "",
    "description": "",
    "products": [],
    "chatId": "",
    "lastSeen": None,
    "isArchive": False,
    "isDisappearing": False,
    "isMute": False,
    "messageExpiration": 0,
    "muteExpiration": None,
    "isBusiness": False,
}


class FakeGreenApiHost:
    """The server behind one apiUrl. A FakeGreenApi made without a host gets one of its own;
    many made with the same host answer on one port, as GREEN-API's hosts (e.g.
    https://7105.api.greenapi.com) serve many instances: the benchmark's 500 instances then
    cost one server thread, not 500 polling ones."""

    def __init__(self) -> None:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, fake: FakeGreenApi) -> None:
        self._httpd.fakes[f"waInstance{fake.instance_id}"] = fake
        self._httpd.only = fake if len(self._httpd.fakes) == 1 else None

    def start(self) -> FakeGreenApiHost:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (every instance of the host); the fakes' own stop() also wakes their
        waiting handlers."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._httpd.shutdown()
            thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> FakeGreenApiHost:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.fakes: dict[str, FakeGreenApi] = {}  # by the path's waInstance{id}
        self.only: FakeGreenApi | None = None  # the one instance of a server of its own

    def fake_for(self, instance: str) -> FakeGreenApi | None:
        """The instance a request is for; a server of one instance records every request,
        another instance's id included (then answered 403)."""
        return self.only or self.fakes.get(instance)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    _fake: FakeGreenApi  # the instance of the request being answered
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API, so pooling is exercised
    timeout = 10  # idle keep-alive connections do not outlive a test run for long

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the output of tests and benchmarks clean

    def _handle(self) -> None:
        split = urlsplit(self.path)
        # /waInstance{id}/{method}/{token}[/{extra}]
        parts = split.path.strip("/").split("/")
        method = parts[1] if len(parts) >= 2 else ""
        fake = self.server.fake_for(parts[0])
        if fake is None:  # an instance the host does not serve
            return self._send(HTTPStatus.FORBIDDEN, {"message": "Forbidden"})
        self._fake = fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        record = RecordedRequest(
            self.command, split.path, method, query, body, dict(self.headers.items())
        )
        with fake._lock:
            fake.requests.append(record)

        if len(parts) not in (3, 4) or method not in VERBS or VERBS[method] != self.command:
            return self._send(HTTPStatus.NOT_FOUND, {"message": "Not Found"})
        if parts[0] != f"waInstance{fake.instance_id}":
            return self._send(HTTPStatus.FORBIDDEN, {"message": "Forbidden"})
        if parts[2] != fake.token:
            return self._send(HTTPStatus.UNAUTHORIZED, {"message": "Unauthorized"})
        extra = parts[3] if len(parts) == 4 else ""
        if (method == "deleteNotification") != bool(extra):
            return self._send(HTTPStatus.NOT_FOUND, {"message": "Not Found"})

        fault = fake._take_fault(method)
        if fault is None:
            return self._send(HTTPStatus.OK, fake._answer(method, body, query, extra))
        if fault.hang is not None:
            fake._wait(fault.hang)
            if fake._stopping.is_set():
                return self._drop()
        if fault.drop:
            return self._drop()
        if fault.status is not None:
            payload = fault.body
            if payload is None:
                payload = {"message": _phrase(fault.status)}
            status = fault.status
        else:
            status, payload = 200, fake._answer(method, body, query, extra)
        data = b'{"receiptId": 1, "body": {' if fault.bad_json else json.dumps(payload).encode()
        self._send(status, data=data, headers=fault.headers, trickle=fault.trickle)

    def _send(
        self,
        status: int,
        payload: Any = None,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        trickle: float | None = None,
    ) -> None:
        if data is None:
            data = json.dumps(payload).encode()
        try:
            self.send_response(status, _phrase(status))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if trickle is None:
                self.wfile.write(data)
                return
            self.wfile.flush()
            for byte in _bytes(data):
                self.wfile.write(byte)
                self.wfile.flush()
                if self._fake._stopping.wait(trickle):
                    return self._drop()
        except OSError:
            self.close_connection = True  # the client gave up; nothing to answer

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # already closed by the client
            self.connection.shutdown(socket.SHUT_RDWR)


def _timestamp(entry: Any) -> Any:
    value = entry.get("timestamp") if isinstance(entry, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bytes(data: bytes) -> Iterator[bytes]:
    for index in range(len(data)):
        yield data[index : index + 1]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"  # 466 and other GREEN-API-specific codes
