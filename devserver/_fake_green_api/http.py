"""The fake's HTTP side: routing /waInstance{id}/{method}/{token}[/{extra}], auth, recording each
request, and answering normally or with the fault the test asked for."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from devserver.fake_green_api import FakeGreenApi

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


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it (recorded before auth and fault handling)."""

    verb: str
    path: str
    method: str  # the GREEN-API method named in the path, "" if the path has none
    query: Mapping[str, str]
    json: Any  # parsed body, None when there was none or it was not JSON
    headers: Mapping[str, str]


class Host:
    """The server behind one apiUrl. A FakeGreenApi made without a host gets one of its own;
    many made with the same host answer on one port, as GREEN-API's hosts (e.g.
    https://7105.api.greenapi.com) serve many instances: the benchmark's 500 instances then
    cost one server thread, not 500 polling ones."""

    def __init__(self) -> None:
        self._httpd = _Server()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, fake: FakeGreenApi) -> None:
        self._httpd.fakes[f"waInstance{fake.instance_id}"] = fake
        self._httpd.only = fake if len(self._httpd.fakes) == 1 else None

    def start(self) -> Host:
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

    def __enter__(self) -> Host:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
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
        headers = dict(self.headers.items())
        fake.record(RecordedRequest(self.command, split.path, method, query, body, headers))

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
            return self._send(HTTPStatus.OK, fake.answer(method, body, query, extra))
        if fault.hang is not None:
            fake.faults.hang(fault.hang)
            if fake.faults.stopping.is_set():
                return self._drop()
        if fault.drop:
            return self._drop()
        if fault.status is not None:
            payload = fault.body
            if payload is None:
                payload = {"message": _phrase(fault.status)}
            status = fault.status
        else:
            status, payload = 200, fake.answer(method, body, query, extra)
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
                if self._fake.faults.stopping.wait(trickle):
                    return self._drop()
        except OSError:
            self.close_connection = True  # the client gave up; nothing to answer

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # already closed by the client
            self.connection.shutdown(socket.SHUT_RDWR)


def _bytes(data: bytes) -> Iterator[bytes]:
    for index in range(len(data)):
        yield data[index : index + 1]


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"  # 466 and other GREEN-API-specific codes
