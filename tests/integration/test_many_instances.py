"""Several GREEN-API instances in one deployment (GREEN_API_INSTANCES): three fake GREEN-API
servers with their own ids and tokens, the function on both stores. Each call is recorded, named,
replied to and noticed through its own instance (tests/support/fake_instances.py builds them;
the commands over every instance: test_many_instances_commands.py and _reports.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, post, records, sample
from tests.support import fake_instances
from tests.support.backends import Backend
from tests.support.fake_instances import CALLER, call, instance_map

servers = fake_instances.servers
app = fake_instances.app
named_callers = fake_instances.named_callers


def test_each_instance_records_under_its_own_id_with_names_from_its_own_server(
    app: Any, servers: list[FakeGreenApi], named_callers: dict[int, str], backend: Backend
) -> None:
    shop, clinic, _ = servers
    client = app(instance_map(shop, clinic))

    for instance in (shop, clinic):
        assert post(client, call(instance.instance_id)).status_code == 200
        assert post(client, call(instance.instance_id, "pickUp")).status_code == 200

    documents = backend.documents()
    for instance in (shop, clinic):
        chat = documents[f"chats/{instance.instance_id}_{CALLER}"]
        assert chat["callerName"] == named_callers[instance.instance_id]
    found = records(backend)
    assert sorted((doc["instanceId"], doc["status"]) for doc in found.values()) == [
        (shop.instance_id, "offer"),
        (shop.instance_id, "pickUp"),
        (clinic.instance_id, "offer"),
        (clinic.instance_id, "pickUp"),
    ]
    # The name cache is per chat and instance: one lookup on each server, each with its token
    # (the fake answers 401/403 to another instance's id or token).
    for instance in (shop, clinic):
        (lookup,) = instance.requests_for("getContactInfo")
        assert lookup.path == f"/waInstance{instance.instance_id}/getContactInfo/{instance.token}"


def test_an_instance_outside_the_map_is_refused_and_nothing_is_written(
    app: Any, servers: list[FakeGreenApi], backend: Backend
) -> None:
    shop, clinic, stranger = servers
    client = app(instance_map(shop, clinic))

    for body in (
        call(stranger.instance_id),
        sample("incoming-message") | call(stranger.instance_id),
    ):
        assert post(client, body).status_code == 403
    assert backend.documents() == {}
    assert all(fake.requests == [] for fake in servers)


def test_operator_notices_go_through_the_calls_own_instance(
    app: Any, servers: list[FakeGreenApi], backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    shop, clinic, office = servers
    instances = instance_map(
        shop,
        clinic,
        office,
        **{
            str(shop.instance_id): {"operatorChatId": "79000000001@c.us", "label": "Shop"},
            str(clinic.instance_id): {"operatorChatId": "79000000002@c.us"},
        },
    )
    # The deployment's OPERATOR_CHAT_ID serves the instance without one of its own.
    client = app(instances, OPERATOR_CHAT_ID="79000000009@c.us")

    for fake in servers:
        assert post(client, call(fake.instance_id)).status_code == 200
        assert post(client, call(fake.instance_id)).status_code == 200  # a resend: no notice

    sent = {
        fake.instance_id: [r.json["chatId"] for r in fake.requests_for("sendMessage")]
        for fake in servers
    }
    assert sent == {
        shop.instance_id: ["79000000001@c.us"],
        clinic.instance_id: ["79000000002@c.us"],
        office.instance_id: ["79000000009@c.us"],
    }
    for fake in servers:
        assert fake.token not in caplog.text


def test_replies_go_to_the_caller_through_the_calls_own_instance(
    app: Any, servers: list[FakeGreenApi], backend: Backend
) -> None:
    shop, clinic, office = servers
    instances = instance_map(
        shop,
        clinic,
        office,
        **{
            str(shop.instance_id): {"missedCallReply": "The shop will call you back."},
            str(office.instance_id): {"missedCallReply": ""},  # no reply for this number
        },
    )
    client = app(instances, MISSED_CALL_REPLY="We will call you back.")

    for fake in servers:
        missed = call(fake.instance_id, "missed", timestamp=int(time.time()))
        assert post(client, missed).status_code == 200
        assert post(client, missed).status_code == 200  # a resend: no second reply

    sent = {
        fake.instance_id: [
            (r.json["chatId"], r.json["message"]) for r in fake.requests_for("sendMessage")
        ]
        for fake in servers
    }
    assert sent == {
        shop.instance_id: [(CALLER, "The shop will call you back.")],
        clinic.instance_id: [(CALLER, "We will call you back.")],
        office.instance_id: [],
    }


def test_a_bad_map_stops_the_start(make_client: ClientFactory, servers: list[FakeGreenApi]) -> None:
    shop = servers[0]
    with pytest.raises(ValueError, match="GREEN_API_INSTANCES is set, and so is GREEN_API_TOKEN"):
        make_client(GREEN_API_INSTANCES=instance_map(shop), GREEN_API_TOKEN=shop.token)
