"""Events end to end on both stores: notifications through the deployed entry point, the outbox
in the same commit, `events deliver` to a real receiver on 127.0.0.1 that verifies every
signature with the standardwebhooks package (docs/events.md)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from call_logger.cli import main

from tests.conftest import ClientFactory, post, sample
from tests.support.backends import Backend
from tests.support.receiver import Receiver, running_receiver

SECRET = "whsec_" + base64.b64encode(b"receiver-secret-of-32-bytes-long").decode()
MISSED = sample("incoming-call-missed")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver(SECRET) as running:
        yield running


def with_events(make_client: ClientFactory, receiver: Receiver) -> Any:
    return make_client(EVENTS_URL=receiver.url, EVENTS_SECRET=SECRET)


def deliver() -> int:
    return main(["events", "deliver"])


def outbox(backend: Backend) -> dict[str, dict[str, Any]]:
    return {path: doc for path, doc in backend.documents().items() if path.startswith("outbox/")}


def listed_events(out: str) -> list[dict[str, Any]]:
    """The events `events list` printed (log lines, JSON too, left out)."""
    lines = [json.loads(line) for line in out.splitlines()]
    return [line for line in lines if "eventId" in line and "severity" not in line]


def test_each_event_is_signed_and_the_delivered_ones_are_removed(
    make_client: ClientFactory, backend: Backend, receiver: Receiver
) -> None:
    client = with_events(make_client, receiver)
    for body in (MISSED, sample("outgoing-message-received"), sample("outgoing-call")):
        assert post(client, body).status_code == 200
    assert len(outbox(backend)) == 3  # committed with the records and the chat
    assert deliver() == 0
    assert all(item.verified for item in receiver.received)
    types = sorted(event["type"] for event in receiver.events())
    assert types == ["call.recorded", "call.recorded", "callback.done"]
    done = next(event for event in receiver.events() if event["type"] == "callback.done")
    assert (done["data"]["via"], done["data"]["seconds"]) == ("message", 1670)
    assert outbox(backend) == {}
    assert deliver() == 0 and len(receiver.received) == 3


def test_a_call_delivered_twice_is_one_event(
    make_client: ClientFactory, backend: Backend, receiver: Receiver
) -> None:
    client = with_events(make_client, receiver)
    assert post(client, MISSED).status_code == 200
    assert post(client, MISSED).status_code == 200  # GREEN-API's redelivery
    assert deliver() == 0
    (event,) = receiver.events()
    assert event["data"]["callId"] == MISSED["idMessage"]
    assert event["data"]["chatId"] == MISSED["from"]


def test_a_receiver_failing_twice_then_succeeding_gets_it_once_more_and_no_more(
    make_client: ClientFactory, backend: Backend, receiver: Receiver
) -> None:
    receiver.answers.extend([503, 500])
    post(with_events(make_client, receiver), MISSED)
    assert deliver() == 1  # not taken: the platform retries
    assert deliver() == 1
    (pending,) = outbox(backend).values()
    assert (pending["attempts"], pending["lastError"]) == (2, "HTTP 500")
    assert deliver() == 0
    assert deliver() == 0
    assert [item.status for item in receiver.received] == [503, 500, 200]
    assert len({item.webhook_id for item in receiver.received}) == 1  # one id to deduplicate
    assert len(receiver.events()) == 1
    assert outbox(backend) == {}


def test_no_event_for_an_instance_without_events_url(
    make_client: ClientFactory, backend: Backend, receiver: Receiver
) -> None:
    assert post(make_client(), MISSED).status_code == 200
    assert outbox(backend) == {}
    assert deliver() == 0
    assert receiver.received == []


def test_a_410_stops_delivery_to_that_receiver_with_an_error_line(
    make_client: ClientFactory,
    backend: Backend,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    receiver.answers.append(410)
    client = with_events(make_client, receiver)
    post(client, MISSED)
    assert deliver() == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    errors = [line for line in lines if "410" in line.get("message", "")]
    assert [line["severity"] for line in errors] == ["ERROR"]
    post(client, sample("outgoing-call"))
    assert deliver() == 0
    assert len(receiver.received) == 1  # the second event was never sent
    capsys.readouterr()
    assert main(["events", "list", "--failed"]) == 0
    listed = listed_events(capsys.readouterr().out)
    assert sorted(event["type"] for event in listed) == [
        "call.recorded",
        "call.recorded",
        "callback.done",  # the call back: never sent either
    ]
    assert all(event["state"] == "failed" for event in listed)


def test_a_day_after_the_first_attempt_the_event_is_kept_as_failed(
    make_client: ClientFactory,
    backend: Backend,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    receiver.answers.extend([500, 500])
    post(with_events(make_client, receiver), MISSED)
    assert deliver() == 1
    (path,) = outbox(backend)
    backend.set_field(path, "firstAttemptAt", datetime.now(UTC) - timedelta(hours=25))
    assert deliver() == 0  # given up: the platform stops retrying
    capsys.readouterr()
    assert main(["events", "list", "--failed"]) == 0
    (listed,) = listed_events(capsys.readouterr().out)
    assert (listed["state"], listed["attempts"], listed["lastError"]) == ("failed", 2, "HTTP 500")
    assert SECRET not in json.dumps(listed)
    assert deliver() == 0 and len(receiver.received) == 2  # no more attempts


def test_an_instance_state_change_is_an_event(
    make_client: ClientFactory, backend: Backend, receiver: Receiver
) -> None:
    client = with_events(make_client, receiver)
    post(client, sample("state-instance-changed") | {"stateInstance": "notAuthorized"})
    assert deliver() == 0
    (event,) = receiver.events()
    assert event["type"] == "instance.state_changed"
    assert (event["data"]["state"], event["data"]["previousState"]) == ("notAuthorized", None)


def test_a_delivery_without_the_secret_refuses_loudly_and_the_event_waits(
    make_client: ClientFactory,
    backend: Backend,
    receiver: Receiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    post(make_client(EVENTS_URL=receiver.url), MISSED)  # the webhook needs no key
    assert deliver() == 2
    assert "needs EVENTS_SECRET" in capsys.readouterr().err
    assert receiver.received == [] and len(outbox(backend)) == 1
    with pytest.MonkeyPatch.context() as env:
        env.setenv("EVENTS_SECRET", SECRET)
        assert deliver() == 0
    assert len(receiver.events()) == 1


def test_only_the_instance_with_its_own_events_url_sends_events(
    make_client: ClientFactory, backend: Backend, receiver: Receiver
) -> None:
    # Two numbers in one deployment; GREEN-API is never reached (a closed port): names are
    # looked up and fail fast, and the calls are recorded all the same.
    closed = "http://127.0.0.1:9"
    instances = {
        "1101000001": {
            "apiUrl": closed,
            "apiTokenInstance": "shop-token-0123",
            "label": "Shop",
            "eventsUrl": receiver.url,
            "eventsSecret": SECRET,
        },
        "1101000002": {"apiUrl": closed, "apiTokenInstance": "clinic-token-0123"},
    }
    client = make_client(GREEN_API_INSTANCES=json.dumps(instances), CONTACT_LOOKUP_BUDGET="1")
    clinic = MISSED | {"instanceData": MISSED["instanceData"] | {"idInstance": 1101000002}}
    assert post(client, MISSED).status_code == 200
    assert post(client, clinic).status_code == 200
    assert len(outbox(backend)) == 1
    assert deliver() == 0
    (event,) = receiver.events()
    assert (event["data"]["instanceId"], event["data"]["instanceLabel"]) == (1101000001, "Shop")
