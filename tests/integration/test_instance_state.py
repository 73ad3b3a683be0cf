"""stateInstanceChanged -> instances/{idInstance}, on both stores, and the `status` command."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from call_logger.cli import main

from tests.conftest import ClientFactory, as_a_fresh_process, post, sample
from tests.support.backends import Backend

INSTANCE = "instances/1101000001"
T0 = 1764086400  # 2025-11-25T16:00:00Z


def state(name: str, at: int) -> dict[str, Any]:
    return sample("state-instance-changed") | {"stateInstance": name, "timestamp": at}


def stored(name: str, at: int) -> dict[str, Any]:
    return {
        "instanceId": 1101000001,
        "state": name,
        "stateChangedAt": datetime.fromtimestamp(at, UTC),
        "wid": "79009876543@c.us",
    }


def instance_lines(text: str) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in found if line.get("event") == "instance.state"]


SEQUENCE = [
    state("authorized", T0),
    state("notAuthorized", T0 + 60),
    state("authorized", T0 + 120),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_newest_state_wins_in_any_order(
    make_client: ClientFactory, backend: Backend, order: tuple[int, ...]
) -> None:
    client = make_client()
    for index in order:
        assert post(client, SEQUENCE[index]).status_code == 200
    assert backend.documents() == {INSTANCE: stored("authorized", T0 + 120)}


def test_redelivery_and_older_notifications_change_nothing(
    make_client: ClientFactory, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    post(client, state("notAuthorized", T0 + 60))
    once = backend.documents()
    capsys.readouterr()
    post(client, state("notAuthorized", T0 + 60))
    post(client, state("authorized", T0))
    assert backend.documents() == once == {INSTANCE: stored("notAuthorized", T0 + 60)}
    outcomes = [
        (line["outcome"], line["severity"]) for line in instance_lines(capsys.readouterr().out)
    ]
    assert outcomes == [("duplicate", "INFO"), ("outdated", "INFO")]


def test_same_second_prefers_the_state_that_needs_a_person(
    make_client: ClientFactory, backend: Backend
) -> None:
    client = make_client()
    post(client, state("yellowCard", T0))
    post(client, state("authorized", T0))
    assert backend.documents()[INSTANCE]["state"] == "yellowCard"


def test_a_state_needing_a_person_is_an_error_and_recovery_is_info(
    make_client: ClientFactory, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    capsys.readouterr()
    for body in (
        state("notAuthorized", T0),
        state("somethingNew", T0 + 30),
        state("authorized", T0 + 60),
    ):
        assert post(client, body).status_code == 200
    found = instance_lines(capsys.readouterr().out)
    assert [(line["state"], line["severity"]) for line in found] == [
        ("notAuthorized", "ERROR"),
        ("somethingNew", "ERROR"),
        ("authorized", "INFO"),
    ]
    assert found[2]["previousState"] == "somethingNew"
    assert "scan the QR code" in found[0]["message"]
    assert all(line["instance"] == 1101000001 and line["status"] == 200 for line in found)


def test_a_state_without_its_time_is_kept_in_rejected(
    make_client: ClientFactory, backend: Backend
) -> None:
    body = sample("state-instance-changed")
    del body["timestamp"]
    assert post(make_client(), body).status_code == 200
    (path,) = backend.documents()
    assert path.startswith("rejected/")


def test_status_prints_each_instance(
    make_client: ClientFactory, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    client = make_client()
    as_a_fresh_process()
    assert main(["status"]) == 0
    assert "No instance state known yet" in capsys.readouterr().out

    post(client, state("notAuthorized", T0))
    post(client, state("authorized", T0) | {"instanceData": {"idInstance": 1101000002}})
    capsys.readouterr()
    assert main(["status"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["instance", "state", "since", "(UTC)", "wid", "what", "to", "do"]
    assert table[1].startswith("1101000001  notAuthorized  2025-11-25 16:00:00  79009876543@c.us")
    assert "scan the QR code" in table[1]
    assert table[2].split() == ["1101000002", "authorized", "2025-11-25", "16:00:00"]

    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "instanceId": 1101000001,
            "state": "notAuthorized",
            "stateChangedAt": "2025-11-25T16:00:00+00:00",
            "wid": "79009876543@c.us",
        },
        {
            "instanceId": 1101000002,
            "state": "authorized",
            "stateChangedAt": "2025-11-25T16:00:00+00:00",
            "wid": None,
        },
    ]
