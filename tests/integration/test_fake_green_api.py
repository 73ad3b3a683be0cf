"""The fake itself: auth, documented shapes, fault injection and prompt shutdown."""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any

from devserver.fake_green_api import FOREVER, FakeGreenApi


def call(
    server: FakeGreenApi,
    verb: str,
    method: str,
    body: Any = None,
    *,
    token: str | None = None,
    query: str = "",
) -> tuple[int, Any]:
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    data = None if body is None else json.dumps(body)
    path = f"/waInstance{server.instance_id}/{method}/{token or server.token}{query}"
    conn.request(verb, path, body=data, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, json.loads(raw)


def test_auth_and_wrong_verb(fake_green_api: FakeGreenApi) -> None:
    assert call(fake_green_api, "GET", "getSettings", token="wrong")[0] == 401
    assert call(fake_green_api, "POST", "getSettings")[0] == 404
    assert len(fake_green_api.requests_for("getSettings")) == 2


def test_settings_round_trip(fake_green_api: FakeGreenApi) -> None:
    assert call(fake_green_api, "POST", "setSettings", {"incomingCallWebhook": "yes"}) == (
        200,
        {"saveSettings": True},
    )
    status, settings = call(fake_green_api, "GET", "getSettings")
    assert status == 200
    assert settings["incomingCallWebhook"] == "yes"


def test_fault_times_then_normal(fake_green_api: FakeGreenApi) -> None:
    fake_green_api.fail("getSettings", status=466, times=1)
    assert call(fake_green_api, "GET", "getSettings")[0] == 466
    assert call(fake_green_api, "GET", "getSettings")[0] == 200


def test_stop_is_prompt_while_a_handler_hangs() -> None:
    server = FakeGreenApi().start()
    server.fail("getSettings", hang=FOREVER)
    errors: list[BaseException] = []

    def stuck() -> None:
        try:
            call(server, "GET", "getSettings")
        except (OSError, http.client.HTTPException) as error:
            errors.append(error)

    thread = threading.Thread(target=stuck)
    thread.start()
    while not server.requests_for("getSettings"):
        threading.Event().wait(0.01)
    server.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert errors  # the hanging request was dropped, not answered


def test_journal_keeps_the_last_minutes_newest_first(fake_green_api: FakeGreenApi) -> None:
    now = int(time.time())
    old, recent, newest = (
        {"idMessage": name, "timestamp": now - age}
        for name, age in (("old", 2 * 86400), ("recent", 3600), ("newest", 60))
    )
    fake_green_api.journal = [recent, old, newest, "garbage"]

    def ids(path: str, query: str = "") -> list[Any]:
        status, answer = call(fake_green_api, "GET", path, query=query)
        assert status == 200
        return [e["idMessage"] if isinstance(e, dict) else e for e in answer]

    assert ids("lastIncomingCalls") == ["newest", "recent", "garbage"]  # default: 1440 minutes
    assert ids("lastIncomingCalls", query="?minutes=30") == ["newest", "garbage"]
    assert ids("lastIncomingCalls", query="?minutes=4320") == ["newest", "recent", "old", "garbage"]
