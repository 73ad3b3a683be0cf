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

Its parts, in devserver/_fake_green_api/: instance.py (the state above and each method's answer),
faults.py (the faults waiting per method), http.py (routing, auth, the handler, and the host
that serves one instance or many).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from devserver._fake_green_api.faults import FOREVER, Fault, Faults
from devserver._fake_green_api.http import VERBS, RecordedRequest
from devserver._fake_green_api.http import Host as FakeGreenApiHost
from devserver._fake_green_api.instance import NO_BODY, FakeInstance

__all__ = ["FOREVER", "NO_BODY", "FakeGreenApi", "FakeGreenApiHost", "Fault", "RecordedRequest"]


class FakeGreenApi(FakeInstance):
    """The fake instance served on 127.0.0.1, with the faults a test asks for."""

    def __init__(
        self,
        *,
        instance_id: int = 1101000001,
        token: str = "f4k3t0k3n5ecret0123456789abcdef0123456789abcdef",
        empty_wait_cap: float = 0.2,
        host: FakeGreenApiHost | None = None,
    ) -> None:
        super().__init__(instance_id, token, empty_wait_cap)
        self.requests: list[RecordedRequest] = []
        self.faults = Faults(self._stopping)
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
        self.faults.stop()  # wakes hanging and trickling handlers ...
        self._wake()  # ... and long polls
        self._host.stop()

    def __enter__(self) -> FakeGreenApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- faults -----------------------------------------------------------------------------

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
        self.faults.add(method, fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def release(self) -> None:
        """Wake every handler currently hanging (later hangs wait again)."""
        self.faults.release()

    # -- requests ---------------------------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def requests_for(self, method: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method]

    def _take_fault(self, method: str) -> Fault | None:
        """The fault for this request (a subclass may plan its own)."""
        return self.faults.take(method)
