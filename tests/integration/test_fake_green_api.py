"""The fake itself: auth, documented shapes, fault injection and prompt shutdown."""

from __future__ import annotations

import http.client
import json
import threading
import time
from typing import Any

from devserver.fake_green_api import FOREVER, FakeGreenApi, FakeGreenApiHost


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


def test_one_host_answers_for_each_of_its_instances_and_no_other() -> None:
    host = FakeGreenApiHost()
    first, second = (
        FakeGreenApi(instance_id=instance_id, token=f"token-of-{instance_id}", host=host)
        for instance_id in (1101000001, 1101000002)
    )
    second.state = "blocked"
    with host:
        assert first.url == second.url == host.url
        assert call(first, "GET", "getStateInstance") == (200, {"stateInstance": "authorized"})
        assert call(second, "GET", "getStateInstance") == (200, {"stateInstance": "blocked"})
        assert call(second, "GET", "getStateInstance", token=first.token)[0] == 401
        second.instance_id = 1101000003  # an instance the host does not serve
        assert call(second, "GET", "getStateInstance")[0] == 403
    assert len(first.requests) == 1
    assert len(second.requests) == 2


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


def test_a_new_instance_has_every_switch_off_and_each_setsettings_restarts_it(
    fake_green_api: FakeGreenApi,
) -> None:
    _, settings = call(fake_green_api, "GET", "getSettings")
    switches = {name for name in settings if name.endswith("Webhook")}
    assert {"incomingCallWebhook", "stateWebhook", "outgoingAPIMessageWebhook"} <= switches
    assert {settings[name] for name in switches} == {"no"}
    call(fake_green_api, "POST", "setSettings", {"stateWebhook": "yes"})
    call(fake_green_api, "POST", "setSettings", {"stateWebhook": "yes"})
    assert fake_green_api.restarts == 2


def test_state_and_webhook_queue_in_the_documented_shapes(fake_green_api: FakeGreenApi) -> None:
    fake_green_api.state = "PassKeyRequire"
    assert call(fake_green_api, "GET", "getStateInstance") == (
        200,
        {"stateInstance": "PassKeyRequire"},
    )
    fake_green_api.enqueue({"typeWebhook": "incomingCall"})
    assert call(fake_green_api, "GET", "getWebhooksCount") == (200, {"count": 1})
    fake_green_api.webhooks_count = 250  # a backlog without queue items
    assert call(fake_green_api, "GET", "getWebhooksCount") == (200, {"count": 250})
    fake_green_api.fail("getWebhooksCount", status=429, times=1)
    assert call(fake_green_api, "GET", "getWebhooksCount")[0] == 429
