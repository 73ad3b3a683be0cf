"""The instance health check against the fake GREEN-API, on both stores: a state that differs
from instances/{idInstance} is recorded as a stateInstanceChanged would be (its line and so its
alert), a webhook backlog over WEBHOOK_BACKLOG_ALERT is a WARNING line with the count, and what
was found is kept for `status`."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from call_logger.cli import main
from call_logger.core.journal import LookupPacer
from call_logger.flows.health import (
    BACKLOG_EVENT,
    CHECKED_EVENT,
    HealthReport,
    check_instance,
    check_instances,
)
from call_logger.green_api import GreenApiClient
from call_logger.settings import logs
from call_logger.settings.config import Config

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, post, sample
from tests.support.backends import Backend, Client

INSTANCE = "instances/1101000001"
T0 = 1764086400  # 2025-11-25T16:00:00Z


def capture_logs() -> io.StringIO:
    """The JSON lines logged from now on (after the function was loaded: it installs its own)."""
    stream = io.StringIO()
    logs.configure(stream=stream)
    return stream


def lines(stream: io.StringIO, event: str) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in found if line.get("event") == event]


def config(**env: str) -> Config:
    return Config.from_env({**os.environ, **env})


def check(**env: str) -> HealthReport:
    settings = config(**env)
    assert settings.instance_id is not None
    return check_instance(settings, settings.instance_id)


@pytest.fixture
def webhook(make_client: ClientFactory, green_env: FakeGreenApi) -> Client:
    """The deployed webhook of the fake's instance (make_client resets the settings green_env
    made)."""
    single = ("GREEN_API_URL", "GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN")
    return make_client(**{name: os.environ[name] for name in single})


def notify(webhook: Client, state: str, at: int = T0) -> None:
    body = sample("state-instance-changed") | {"stateInstance": state, "timestamp": at}
    assert post(webhook, body).status_code == 200


def test_a_state_that_differs_is_recorded_and_alerts(
    green_env: FakeGreenApi, backend: Backend, webhook: Client
) -> None:
    notify(webhook, "authorized")
    green_env.state = "blocked"  # and no stateInstanceChanged came
    log_lines = capture_logs()

    report = check()

    stored = backend.documents()[INSTANCE]
    assert (stored["state"], stored["wid"]) == ("blocked", "79009876543@c.us")  # wid kept
    assert report.state_outcome == "recorded"
    [line] = lines(log_lines, "instance.state")
    assert (line["severity"], line["state"], line["outcome"]) == ("ERROR", "blocked", "recorded")
    assert "banned" in line["detail"] and line["stateSource"] == "check"


def test_the_stored_state_again_writes_no_state_and_no_alert(
    green_env: FakeGreenApi, backend: Backend, webhook: Client
) -> None:
    notify(webhook, "notAuthorized")
    green_env.state = "notAuthorized"
    log_lines = capture_logs()

    report = check()

    assert report.state_outcome is None
    assert backend.documents()[INSTANCE]["stateChangedAt"] == datetime.fromtimestamp(T0, UTC)
    assert not lines(log_lines, "instance.state")
    [line] = lines(log_lines, CHECKED_EVENT)
    assert (line["severity"], line["state"], line["webhookBacklog"]) == ("INFO", "notAuthorized", 0)


def test_a_state_never_stored_is_stored_and_an_unknown_one_is_kept_verbatim(
    green_env: FakeGreenApi, backend: Backend
) -> None:
    green_env.state = "quarantined"  # a state this version does not know
    log_lines = capture_logs()

    check()

    assert backend.documents()[INSTANCE]["state"] == "quarantined"
    [line] = lines(log_lines, "instance.state")
    assert line["severity"] == "ERROR" and "not working" in line["detail"]


def test_the_backlog_over_the_limit_is_a_warning_with_the_count(
    green_env: FakeGreenApi, backend: Backend, webhook: Client
) -> None:
    notify(webhook, "authorized")
    green_env.webhooks_count = 101
    log_lines = capture_logs()

    assert check().backlogged

    [line] = lines(log_lines, BACKLOG_EVENT)
    assert (line["severity"], line["webhookBacklog"], line["webhookBacklogAlert"]) == (
        "WARNING",
        101,
        100,
    )
    stored = backend.documents()[INSTANCE]
    assert stored["webhookBacklog"] == 101
    assert stored["backlogCheckedAt"] == stored["stateCheckedAt"]
    assert stored["state"] == "authorized"  # the state is left alone


def test_a_backlog_at_the_instances_own_limit_is_no_alert(
    green_env: FakeGreenApi, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_URL", "GREEN_API_TOKEN"):
        monkeypatch.delenv(name)
    entry = {
        "apiUrl": green_env.url,
        "apiTokenInstance": green_env.token,
        "webhookBacklogAlert": "250",
    }
    settings = config(GREEN_API_INSTANCES=json.dumps({str(green_env.instance_id): entry}))
    green_env.webhooks_count = 250
    log_lines = capture_logs()

    check_instance(settings, green_env.instance_id)

    assert not lines(log_lines, BACKLOG_EVENT)
    assert lines(log_lines, CHECKED_EVENT)[0]["webhookBacklogAlert"] == 250


def test_the_undelivered_queue_is_the_backlog(green_env: FakeGreenApi, backend: Backend) -> None:
    for _ in range(3):
        green_env.enqueue(sample("state-instance-changed"))
    assert check(WEBHOOK_BACKLOG_ALERT="2").backlog == 3


def test_a_later_notification_keeps_what_the_check_found(
    green_env: FakeGreenApi, backend: Backend, webhook: Client
) -> None:
    notify(webhook, "authorized")
    green_env.webhooks_count = 7
    check()

    notify(webhook, "notAuthorized", at=int(datetime.now(UTC).timestamp()) + 60)

    stored = backend.documents()[INSTANCE]
    assert (stored["state"], stored["webhookBacklog"]) == ("notAuthorized", 7)


@pytest.mark.parametrize(
    "fault",
    [{"status": 429}, {"status": 466}, {"status": 502}, {"hang": 30}],
    ids=["429", "466", "5xx", "hang"],
)
def test_green_api_failures_are_reported_not_raised(
    green_env: FakeGreenApi, backend: Backend, webhook: Client, fault: dict[str, Any]
) -> None:
    notify(webhook, "authorized")
    green_env.fail("getStateInstance", **fault)
    green_env.fail("getWebhooksCount", **fault)
    settings = config()
    assert settings.instance_id is not None
    # A hang costs a second, not the default ten; a 5xx is retried without a pause.
    client = GreenApiClient(
        green_env.url, green_env.instance_id, green_env.token, timeout=(1, 1), backoff_factor=0
    )
    log_lines = capture_logs()
    try:
        report = check_instance(settings, green_env.instance_id, client=client)
    finally:
        green_env.release()
        client.close()

    assert (report.state, report.backlog) == (None, None)
    assert len(report.errors) == 2
    [line] = lines(log_lines, CHECKED_EVENT)
    assert line["severity"] == "WARNING"
    assert green_env.token not in json.dumps(line)
    assert backend.documents()[INSTANCE]["state"] == "authorized"  # nothing changed


def test_the_two_requests_keep_to_one_a_second(green_env: FakeGreenApi, backend: Backend) -> None:
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pacer = LookupPacer(30, 1.0, clock=lambda: now[0], sleep=sleep)

    check_instance(config(), green_env.instance_id, pacer=pacer)

    assert waits == [1.0]
    assert [r.method for r in green_env.requests] == ["getStateInstance", "getWebhooksCount"]


def test_every_instance_of_the_map_is_checked(
    green_env: FakeGreenApi, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_URL", "GREEN_API_TOKEN"):
        monkeypatch.delenv(name)
    other = 1101000002  # the fake answers 403 for it: reported, and the rest goes on
    entry = {"apiUrl": green_env.url, "apiTokenInstance": green_env.token}
    instances = {str(green_env.instance_id): entry, str(other): entry}

    reports = check_instances(config(GREEN_API_INSTANCES=json.dumps(instances)))

    assert [report.instance_id for report in reports] == [green_env.instance_id, other]
    assert reports[0].state == "authorized" and not reports[0].errors
    assert reports[1].state is None and "403" in reports[1].errors[0]
    assert set(backend.documents()) == {INSTANCE}


def test_status_refresh_json_shows_the_state_the_backlog_and_when(
    green_env: FakeGreenApi, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    green_env.state = "PassKeyRequire"
    green_env.webhooks_count = 3

    assert main(["status", "--refresh", "--json"]) == 0

    out, err = capsys.readouterr()
    [found] = json.loads(out)  # stdout is the JSON alone; the check's lines go to stderr
    assert (found["state"], found["webhookBacklog"]) == ("PassKeyRequire", 3)
    checked = datetime.fromisoformat(found["stateCheckedAt"])
    assert found["backlogCheckedAt"] == found["stateCheckedAt"]
    assert abs((datetime.now(UTC) - checked).total_seconds()) < 60
    assert '"event": "instance.state"' in err
    assert green_env.token not in out + err


def test_status_shows_a_backlog_over_the_limit_with_what_to_do(
    green_env: FakeGreenApi, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    green_env.webhooks_count = 101
    check()
    capsys.readouterr()

    assert main(["status"]) == 0

    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:8] == [
        *("instance", "state", "since", "(UTC)", "checked", "(UTC)", "backlog", "wid")
    ]
    assert row.split()[1] == "authorized" and row.split()[6] == "101"
    assert "101 notifications wait undelivered" in row


def test_status_refresh_reports_an_instance_it_could_not_check(
    green_env: FakeGreenApi, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    green_env.fail("getStateInstance", status=401)
    green_env.fail("getWebhooksCount", status=401)
    assert main(["status", "--refresh"]) == 1
    err = capsys.readouterr().err
    assert "not fully checked" in err and "HTTP 401" in err
