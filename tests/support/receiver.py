"""A webhook receiver on 127.0.0.1, as a CRM integrator writes one: each request is verified
with the standardwebhooks package, then answered with the next scripted status."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass
class Received:
    webhook_id: str
    verified: bool  # the signature checked out
    status: int  # what the receiver answered
    body: dict[str, Any]


@dataclass
class Receiver:
    url: str
    secret: str
    # Answers to give, in order; 200 once they run out.
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        """The verified events taken (answered 2xx), in order of arrival."""
        return [item.body for item in self.received if item.verified and item.status < 300]


@contextmanager
def running_receiver(secret: str, answers: list[int] | None = None) -> Iterator[Receiver]:
    lock = threading.Lock()
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = state["receiver"]
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                body = Webhook(receiver.secret).verify(raw, headers)
                verified = True
            except Exception:
                body, verified = json.loads(raw or b"null"), False
            with lock:
                status = receiver.answers.pop(0) if receiver.answers else 200
                if not verified:
                    status = 400
                receiver.received.append(
                    Received(headers.get("webhook-id", ""), verified, status, body)
                )
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(
        f"http://127.0.0.1:{server.server_address[1]}/hooks", secret, list(answers or [])
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
