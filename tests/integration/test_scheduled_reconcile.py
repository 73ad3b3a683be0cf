"""The scheduled reconcile run, invoked as each cloud's scheduler does: Cloud Scheduler posts the
job's body to the private `reconcile_calls` function (with its OIDC token, which Cloud Run checks
before the function runs); EventBridge Scheduler invokes `reconcile_handler` with the schedule's
input as the event."""

from __future__ import annotations

import json
import time
from typing import Any

import functions_framework
import pytest

from devserver.aws import load_lambda
from devserver.fake_green_api import FakeGreenApi
from tests.conftest import MAIN, journal_entry, records
from tests.support.backends import Backend

IVAN = "79001234567@c.us"
# What terraform/gcp (the Cloud Scheduler job's body) and terraform/aws (the schedule's input) send.
EVENT = {"action": "reconcile", "since": "3h"}


def invoke(backend: Backend, event: Any) -> tuple[bool, Any]:
    """Run the deployment's scheduled entry point: (succeeded, its answer)."""
    if backend.name == "gcp":
        app = functions_framework.create_app(target="reconcile_calls", source=str(MAIN))
        answer = app.test_client().post(
            "/",
            data=json.dumps(event),
            headers={
                "Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.oidc.token",
                "User-Agent": "Google-Cloud-Scheduler",
            },
            content_type="application/json",
        )
        text = answer.get_data(as_text=True)
        if answer.status_code == 400:
            raise ValueError(text)
        return answer.status_code == 200, json.loads(text)
    handler = load_lambda().reconcile_handler
    try:
        return True, handler(event, None)
    except RuntimeError as error:
        return False, str(error)


def test_a_scheduled_run_adds_the_missing_calls(green_env: FakeGreenApi, backend: Backend) -> None:
    now = int(time.time())
    green_env.journal = [
        journal_entry(IVAN, "pickUp", now - 600, "RECENT"),
        journal_entry(IVAN, "missed", now - 4 * 3600, "OUTSIDE"),  # older than the 3h window
    ]
    ok, answer = invoke(backend, EVENT)
    assert ok
    assert answer == {
        "journal": 1,
        "already_recorded": 0,
        "added": 1,
        "skipped": 0,
        "rejected": 0,
        "dry_run": False,
    }
    (record,) = records(backend).values()
    assert (record["callId"], record["source"]) == ("RECENT", "journal")
    assert green_env.requests_for("lastIncomingCalls")[0].query == {"minutes": "180"}


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"action": "other", "since": "3h"},
        {"action": "reconcile"},
        {"action": "reconcile", "since": "soon"},
        # A Function URL request is never a reconcile run.
        {"requestContext": {"http": {"method": "POST"}}, "body": json.dumps(EVENT)},
    ],
)
def test_any_other_event_is_refused_and_does_nothing(
    green_env: FakeGreenApi, backend: Backend, event: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        invoke(backend, event)
    assert green_env.requests_for("lastIncomingCalls") == []


def test_a_failed_run_is_reported_as_a_failure(green_env: FakeGreenApi, backend: Backend) -> None:
    green_env.fail("lastIncomingCalls", status=503)
    ok, _ = invoke(backend, EVENT)
    assert not ok
    assert records(backend) == {}


def test_the_daily_digest_rides_on_the_scheduled_runs_once_a_day(
    green_env: FakeGreenApi, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_TIME", "00:00")  # always past: the first run of a day sends it
    monkeypatch.setenv("OPERATOR_CHAT_ID", "79990000000@c.us")
    for _ in range(2):
        ok, _ = invoke(backend, EVENT)
        assert ok
    (sent,) = green_env.requests_for("sendMessage")
    assert sent.json["chatId"] == "79990000000@c.us"
    assert "yesterday" in sent.json["message"]  # the digest, whatever the day held
