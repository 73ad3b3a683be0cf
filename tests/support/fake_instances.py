"""Several GREEN-API instances in one deployment, as the tests of GREEN_API_INSTANCES build it:
three fake GREEN-API servers with their own ids and tokens, the map that names them, a call to
one of them. A test module takes a fixture by naming it (`servers = fake_instances.servers`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, sample
from tests.support.backends import Client
from tests.support.instances import entry

CALLER = "79001234567@c.us"
IDS = (1101000001, 1101000002, 1101000003)
WEBHOOK_TOKEN = "whk-Secret-0123456789abcdef"


@pytest.fixture
def servers() -> Iterator[list[FakeGreenApi]]:
    """Three instances, each its own server with its own id and token."""
    fakes = [
        FakeGreenApi(instance_id=instance_id, token=f"token{n}-{instance_id}-0123456789abcdef")
        for n, instance_id in enumerate(IDS)
    ]
    for fake in fakes:
        fake.start()
    yield fakes
    for fake in fakes:
        fake.stop()


def instance_map(*fakes: FakeGreenApi, **extra: dict[str, Any]) -> str:
    """GREEN_API_INSTANCES naming these servers; `extra` adds settings by instance id."""
    return json.dumps(
        {
            str(fake.instance_id): entry(
                fake.token, fake.url, **extra.get(str(fake.instance_id), {})
            )
            for fake in fakes
        }
    )


def call(instance: int, status: str = "offer", **changes: Any) -> dict[str, Any]:
    """An incomingCall notification of `instance` from CALLER."""
    body = sample("incoming-call-offer") | {"status": status} | changes
    body["instanceData"] = {**body["instanceData"], "idInstance": instance}
    return body


@pytest.fixture
def app(make_client: ClientFactory, servers: list[FakeGreenApi]) -> ClientFactory:
    """The function with GREEN_API_INSTANCES set to the map given and any further settings."""

    def make(instances: str, **env: str) -> Client:
        return make_client(GREEN_API_INSTANCES=instances, CONTACT_LOOKUP_BUDGET="1", **env)

    return make


@pytest.fixture
def named_callers(servers: list[FakeGreenApi]) -> dict[int, str]:
    """CALLER in the first two instances' phone books, by another name in each: the names by
    instance id."""
    names = {servers[0].instance_id: "Shop's Ivan", servers[1].instance_id: "Clinic's Ivan"}
    for fake in servers[:2]:
        fake.set_contact(CALLER, contact_name=names[fake.instance_id])
    return names


@pytest.fixture
def command_env(servers: list[FakeGreenApi], monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands' environment: the first two instances in the map, the first labelled Shop."""
    for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN", "GREEN_API_URL", "OPERATOR_CHAT_ID"):
        monkeypatch.delenv(name, raising=False)
    shop, clinic, _ = servers
    labels = {str(shop.instance_id): {"label": "Shop"}}
    monkeypatch.setenv("GREEN_API_INSTANCES", instance_map(shop, clinic, **labels))
    monkeypatch.setenv("WEBHOOK_TOKEN", WEBHOOK_TOKEN)
    monkeypatch.setenv("STORE_TIMEOUT", "2")
    monkeypatch.setenv("CONTACT_LOOKUP_BUDGET", "1")
