"""Each instance of GREEN_API_INSTANCES its own webhookUrlToken: a request is accepted only with
the token of the instance its body names (issue 26, item 1). Three fake GREEN-API servers, the
function on both stores."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from call_logger.cli import main
from call_logger.settings.config import Config

from devserver.aws import LambdaClient
from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, post, sample
from tests.support.backends import Backend

IDS = (1101000001, 1101000002, 1101000003)
# Each instance's own key, and the deployment's (the fallback of an entry without one).
OWN = {instance_id: f"own-key-of-{instance_id}-0123456789abcdef" for instance_id in IDS}
SHOP_AND_CLINIC = {instance_id: OWN[instance_id] for instance_id in IDS[:2]}
FALLBACK = "deployment-wide-key-0123456789abcdef"
CALLER = "79001234567@c.us"
WEBHOOK_URL = "https://example.test/webhook"


@pytest.fixture
def servers() -> Iterator[list[FakeGreenApi]]:
    fakes = [
        FakeGreenApi(instance_id=instance_id, token=f"api-token-{instance_id}-0123456789")
        for instance_id in IDS
    ]
    for fake in fakes:
        fake.start()
    yield fakes
    for fake in fakes:
        fake.stop()


def instance_map(fakes: list[FakeGreenApi], own_token: dict[int, str]) -> str:
    """The map with each entry's own webhookUrlToken where `own_token` has one."""
    return json.dumps(
        {
            str(fake.instance_id): {
                "apiUrl": fake.url,
                "apiTokenInstance": fake.token,
                "operatorChatId": "79990000000@c.us",
                "missedCallReply": "Sorry we missed you",
            }
            | (
                {"webhookUrlToken": own_token[fake.instance_id]}
                if fake.instance_id in own_token
                else {}
            )
            for fake in fakes
        }
    )


def call(instance: int, status: str = "offer") -> dict[str, Any]:
    body = sample("incoming-call-offer") | {"status": status, "from": CALLER}
    body["instanceData"] = {**body["instanceData"], "idInstance": instance}
    return body


@pytest.fixture
def app(make_client: ClientFactory, servers: list[FakeGreenApi]) -> Any:
    def make(own_token: dict[int, str], webhook_token: str = "") -> Any:
        return make_client(
            GREEN_API_INSTANCES=instance_map(servers, own_token),
            WEBHOOK_TOKEN=webhook_token,
            CONTACT_LOOKUP_BUDGET="1",
        )

    return make


def test_a_token_of_one_instance_with_a_body_of_another_is_refused_and_nothing_is_sent(
    app: Any, servers: list[FakeGreenApi], backend: Backend
) -> None:
    shop, clinic, _ = servers
    client = app(SHOP_AND_CLINIC)

    # The shop's client holds its own key (getSettings shows it) and forges a missed call of
    # the clinic from a number it picks.
    forged = call(clinic.instance_id, "missed")
    assert post(client, forged, token=OWN[shop.instance_id]).status_code == 401

    assert backend.documents() == {}
    assert all(fake.requests == [] for fake in servers)


def test_each_instance_is_accepted_with_its_own_token(
    app: Any, servers: list[FakeGreenApi], backend: Backend
) -> None:
    shop, clinic, _ = servers
    client = app(SHOP_AND_CLINIC)

    for fake in (shop, clinic):
        assert post(client, call(fake.instance_id), token=OWN[fake.instance_id]).status_code == 200

    recorded = {
        doc["instanceId"] for path, doc in backend.documents().items() if "/records/" in path
    }
    assert recorded == {shop.instance_id, clinic.instance_id}


def test_an_entry_without_its_own_token_takes_webhook_token_which_opens_no_other_instance(
    app: Any, servers: list[FakeGreenApi], backend: Backend
) -> None:
    shop, clinic, _ = servers
    client = app({shop.instance_id: OWN[shop.instance_id]}, webhook_token=FALLBACK)

    assert post(client, call(clinic.instance_id), token=FALLBACK).status_code == 200
    # The shop has its own key: the deployment's is another instance's key for it.
    assert post(client, call(shop.instance_id), token=FALLBACK).status_code == 401
    assert post(client, call(clinic.instance_id), token=OWN[shop.instance_id]).status_code == 401

    recorded = [
        doc["instanceId"] for path, doc in backend.documents().items() if "/records/" in path
    ]
    assert recorded == [clinic.instance_id]


def test_an_entry_without_a_token_and_no_webhook_token_is_refused_loudly(
    app: Any, servers: list[FakeGreenApi], backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    shop, clinic, _ = servers
    client = app({shop.instance_id: OWN[shop.instance_id]})

    assert post(client, call(clinic.instance_id), token=OWN[shop.instance_id]).status_code == 401

    (line,) = [r for r in caplog.records if getattr(r, "event", None) == "auth.unconfigured"]
    assert line.levelno == logging.ERROR
    assert backend.documents() == {}


def test_no_token_is_in_the_logs_or_the_configuration_repr(
    app: Any, servers: list[FakeGreenApi], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    own = {fake.instance_id: OWN[fake.instance_id] for fake in servers}
    client = app(own, webhook_token=FALLBACK)
    shop, clinic, _ = servers

    post(client, call(clinic.instance_id), token=OWN[shop.instance_id])
    post(client, call(shop.instance_id), token=OWN[shop.instance_id])
    config = Config.from_env(
        {"GREEN_API_INSTANCES": instance_map(servers, own), "WEBHOOK_TOKEN": FALLBACK}
    )

    shown = caplog.text + repr(config) + repr(list(config.instances))
    assert all(token not in shown for token in [*own.values(), FALLBACK])


@pytest.mark.parametrize("backend", ["aws"], indirect=True)
def test_a_lambda_body_that_names_no_instance_needs_webhook_token(
    app: Any, servers: list[FakeGreenApi], backend: Backend
) -> None:
    shop = servers[0]
    client = app({shop.instance_id: OWN[shop.instance_id]})
    assert isinstance(client, LambdaClient)
    event = {
        "requestContext": {"http": {"method": "POST"}},
        "headers": {"authorization": f"Bearer {OWN[shop.instance_id]}"},
        "body": "not base64!",
        "isBase64Encoded": True,
    }
    # Undecodable: no instance to take a key from, and no WEBHOOK_TOKEN.
    assert client._handler(event, None)["statusCode"] == 401
    good = base64.b64encode(json.dumps(call(shop.instance_id)).encode()).decode()
    assert client._handler(event | {"body": good}, None)["statusCode"] == 200


def test_configure_instance_all_sets_each_instance_its_own_token(
    servers: list[FakeGreenApi],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN", "GREEN_API_URL"):
        monkeypatch.delenv(name, raising=False)
    shop, clinic, third = servers
    own = {shop.instance_id: OWN[shop.instance_id], clinic.instance_id: OWN[clinic.instance_id]}
    monkeypatch.setenv("GREEN_API_INSTANCES", instance_map(servers, own))
    monkeypatch.setenv("WEBHOOK_TOKEN", FALLBACK)

    code = main(["configure-instance", "--webhook-url", WEBHOOK_URL, "--all"])
    out, err = capsys.readouterr()

    assert code == 0, err
    for fake, expected in (
        (shop, OWN[shop.instance_id]),
        (clinic, OWN[clinic.instance_id]),
        (third, FALLBACK),
    ):
        (request,) = fake.requests_for("setSettings")
        assert request.json["webhookUrlToken"] == expected
    assert all(token not in out + err for token in [*own.values(), FALLBACK])


def configure(instance: FakeGreenApi) -> int:
    return main(
        [
            "configure-instance",
            "--webhook-url",
            WEBHOOK_URL,
            "--instance",
            str(instance.instance_id),
        ]
    )


def test_configure_instance_needs_no_webhook_token_when_each_instance_has_its_own(
    servers: list[FakeGreenApi],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN", "GREEN_API_URL", "WEBHOOK_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    shop, _, third = servers
    own = {shop.instance_id: OWN[shop.instance_id]}
    monkeypatch.setenv("GREEN_API_INSTANCES", instance_map(servers, own))

    assert configure(shop) == 0
    (request,) = shop.requests_for("setSettings")
    assert request.json["webhookUrlToken"] == OWN[shop.instance_id]
    # The third has no key of its own and there is no WEBHOOK_TOKEN: refused before any call.
    assert configure(third) == 2
    assert third.requests == []
    capsys.readouterr()
