"""A Cloud Tasks queue on loopback: the REST endpoint tasks are created through
(POST /v2/{queue}/tasks, the request body of projects.locations.queues.tasks.create), and the
queue's side: it hands each task's HTTP request to `deliver` with at most `concurrency` at once,
and tries a task again (after `backoff` seconds) while `deliver` answers other than 2xx, up to
`max_attempts`, as a queue's rate limits and retry config do.

`deliver(url, headers, body)` returns the HTTP status; tests make it call the real
functions-framework reconcile app with the task's body.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Deliver = Callable[[str, dict[str, str], bytes], int]


@dataclass
class Task:
    queue: str
    request: dict[str, Any]  # the task's httpRequest as created
    attempts: list[int] = field(default_factory=list)  # each attempt's status

    @property
    def body(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(base64.b64decode(self.request["body"]))
        return value


class FakeCloudTasks:
    def __init__(
        self, deliver: Deliver, concurrency: int = 2, max_attempts: int = 3, backoff: float = 0.1
    ) -> None:
        self.tasks: list[Task] = []
        self.running = 0
        self.most_running = 0
        self._deliver = deliver
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._lock = threading.Lock()
        self._pending: queue.Queue[Task | None] = queue.Queue()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._threads = [threading.Thread(target=self._server.serve_forever, daemon=True)]
        self._threads += [
            threading.Thread(target=self._work, daemon=True) for _ in range(concurrency)
        ]

    def __enter__(self) -> FakeCloudTasks:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for _ in range(self._concurrency):
            self._pending.put(None)
        self._server.shutdown()
        self._server.server_close()

    def drain(self, timeout: float = 120) -> None:
        """Wait until every task succeeded or ran out of attempts."""
        deadline = time.monotonic() + timeout
        while not self._done():
            if time.monotonic() > deadline:
                raise TimeoutError("tasks still pending")
            time.sleep(0.05)

    def _done(self) -> bool:
        with self._lock:
            return all(
                task.attempts
                and (200 <= task.attempts[-1] < 300 or len(task.attempts) >= self._max_attempts)
                for task in self.tasks
            )

    def _work(self) -> None:
        while (task := self._pending.get()) is not None:
            with self._lock:
                self.running += 1
                self.most_running = max(self.most_running, self.running)
            try:
                request = task.request
                headers = dict(request.get("headers") or {})
                oidc = request.get("oidcToken") or {}
                headers["Authorization"] = f"Bearer oidc-of-{oidc.get('serviceAccountEmail')}"
                status = self._deliver(request["url"], headers, base64.b64decode(request["body"]))
            finally:
                with self._lock:
                    self.running -= 1
            with self._lock:
                task.attempts.append(status)
                again = not 200 <= status < 300 and len(task.attempts) < self._max_attempts
            if again:
                threading.Timer(self._backoff, self._pending.put, (task,)).start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                path = self.path
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                if not (path.startswith("/v2/projects/") and path.endswith("/tasks")):
                    self._answer(404, {"error": {"message": f"no such method {path}"}})
                    return
                request = (payload.get("task") or {}).get("httpRequest")
                if not isinstance(request, dict) or "url" not in request:
                    self._answer(400, {"error": {"message": "task.httpRequest.url is required"}})
                    return
                task = Task(path.removeprefix("/v2/").removesuffix("/tasks"), request)
                with fake._lock:
                    fake.tasks.append(task)
                fake._pending.put(task)
                self._answer(200, {"name": f"{task.queue}/tasks/{len(fake.tasks)}"})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
