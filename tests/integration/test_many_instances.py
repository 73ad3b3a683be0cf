"""Several GREEN-API instances in one deployment (GREEN_API_INSTANCES): three fake GREEN-API
servers with their own ids and tokens, the function on both stores."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from call_logger.cli import main
from call_logger.cli.configure_instance import required_flags
from call_logger.flows.poller import poll_instances
from call_logger.flows.webhook import build_service
from call_logger.green_api import ClientPool
from call_logger.settings.config import Config

from devserver.fake_green_api import FOREVER, FakeGreenApi
from tests.conftest import (
    ClientFactory,
    as_a_fresh_process,
    journal_entry,
    post,
    records,
    sample,
)
from tests.integration.test_poller import wait_for
from tests.support.backends import Backend, Client

CALLER = "79001234567@c.us"
IDS = (1101000001, 1101000002, 1101000003)


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
    return json.dumps(
        {
            str(fake.instance_id): {"apiUrl": fake.url, "apiTokenInstance": fake.token}
            | extra.get(str(fake.instance_id), {})
            for fake in fakes
        }
    )


def call(instance: int, status: str = "offer", **changes: Any) -> dict[str, Any]:
    body = sample("incoming-call-offer") | {"status": status} | changes
    body["instanceData"] = {**body["instanceData"], "idInstance": instance}
    return body


@pytest.fixture
def app(make_client: ClientFactory, servers: list[FakeGreenApi]) -> Any:
    def make(instances: str, **env: str) -> Client:
        return make_client(GREEN_API_INSTANCES=instances, CONTACT_LOOKUP_BUDGET="1", **env)

    return make


def test_each_instance_records_under_its_own_id_with_names_from_its_own_server(
    app: Any, servers: list[FakeGreenApi], backend: Backend
) -> None:
    shop, clinic, _ = servers
    shop.set_contact(CALLER, contact_name="Ivan (shop's phone book)")
    clinic.set_contact(CALLER, contact_name="Ivan Petrov (clinic)")
    client = app(instance_map(shop, clinic))

    for instance in (shop, clinic):
        assert post(client, call(instance.instance_id)).status_code == 200
        assert post(client, call(instance.instance_id, "pickUp")).status_code == 200

    documents = backend.documents()
    assert documents[f"chats/{shop.instance_id}_{CALLER}"]["callerName"] == (
        "Ivan (shop's phone book)"
    )
    assert documents[f"chats/{clinic.instance_id}_{CALLER}"]["callerName"] == (
        "Ivan Petrov (clinic)"
    )
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


# --- commands over every instance --------------------------------------------------------------

WEBHOOK_URL = "https://europe-west1-demo.cloudfunctions.net/green-call-logger"
WEBHOOK_TOKEN = "whk-Secret-0123456789abcdef"


@pytest.fixture
def command_env(servers: list[FakeGreenApi], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN", "GREEN_API_URL", "OPERATOR_CHAT_ID"):
        monkeypatch.delenv(name, raising=False)
    shop, clinic, _ = servers
    labels = {str(shop.instance_id): {"label": "Shop"}}
    monkeypatch.setenv("GREEN_API_INSTANCES", instance_map(shop, clinic, **labels))
    monkeypatch.setenv("WEBHOOK_TOKEN", WEBHOOK_TOKEN)
    monkeypatch.setenv("STORE_TIMEOUT", "2")
    monkeypatch.setenv("CONTACT_LOOKUP_BUDGET", "1")


def configure(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["configure-instance", "--webhook-url", WEBHOOK_URL, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_configure_instance_all_sets_every_instance(
    command_env: None, servers: list[FakeGreenApi], capsys: pytest.CaptureFixture[str]
) -> None:
    shop, clinic, stranger = servers

    code, out, err = configure(capsys, "--all")

    assert code == 0, err
    for fake in (shop, clinic):
        (request,) = fake.requests_for("setSettings")
        assert request.json["webhookUrl"] == WEBHOOK_URL
        assert request.json["webhookUrlToken"] == WEBHOOK_TOKEN
    assert stranger.requests == []
    assert f"== instance Shop ({shop.instance_id})" in out
    assert f"== instance {clinic.instance_id}" in out
    for fake in servers:
        assert fake.token not in out + err
    assert WEBHOOK_TOKEN not in out + err


def test_configure_instance_check_reports_per_instance(
    command_env: None, servers: list[FakeGreenApi], capsys: pytest.CaptureFixture[str]
) -> None:
    shop, clinic, _ = servers
    flags = required_flags(Config.from_env(os.environ))
    shop.settings.update(webhookUrl=WEBHOOK_URL, **flags)

    code, out, _ = configure(capsys, "--all", "--check")

    assert code == 1  # the clinic is not set up yet
    shop_part, clinic_part = out.split(f"== instance {clinic.instance_id}")
    assert shop_part.count(" ok ") == 1 + len(flags) and "MISMATCH" not in shop_part
    assert "MISMATCH" in clinic_part
    assert shop.requests_for("setSettings") == clinic.requests_for("setSettings") == []


def test_configure_instance_one_of_the_map(
    command_env: None, servers: list[FakeGreenApi], capsys: pytest.CaptureFixture[str]
) -> None:
    shop, clinic, stranger = servers

    assert configure(capsys, "--instance", str(clinic.instance_id))[0] == 0
    assert len(clinic.requests_for("setSettings")) == 1
    assert shop.requests == []

    code, _, err = configure(capsys, "--instance", str(stranger.instance_id))
    assert code == 2 and "is not an instance of GREEN_API_INSTANCES" in err
    code, _, err = configure(capsys)
    assert code == 2 and "choose --all or --instance ID" in err
    assert stranger.requests == []


def test_one_failing_instance_does_not_stop_the_others(
    command_env: None, servers: list[FakeGreenApi], capsys: pytest.CaptureFixture[str]
) -> None:
    shop, clinic, _ = servers
    shop.fail("setSettings", status=401)

    code, _, err = configure(capsys, "--all")

    assert code == 1
    assert (
        f"instance Shop ({shop.instance_id}): GREEN-API call failed: setSettings: HTTP 401" in err
    )
    assert "1 of 2 instances failed" in err
    assert len(clinic.requests_for("setSettings")) == 1


def test_poll_drains_every_instance_each_deleting_only_its_own(
    command_env: None, servers: list[FakeGreenApi], backend: Backend
) -> None:
    shop, clinic, _ = servers
    shop.set_contact(CALLER, contact_name="Shop's Ivan")
    clinic.set_contact(CALLER, contact_name="Clinic's Ivan")
    queued = {
        fake.instance_id: [
            fake.enqueue(call(fake.instance_id)),
            fake.enqueue(sample("incoming-message")),
            fake.enqueue(call(fake.instance_id, "pickUp")),
        ]
        for fake in (shop, clinic)
    }

    assert main(["poll", "--once"]) == 0

    for fake in (shop, clinic):
        assert fake.queue == []
        assert deleted(fake) == queued[fake.instance_id]
    names = {doc["instanceId"]: doc["callerName"] for doc in records(backend).values()}
    assert names == {shop.instance_id: "Shop's Ivan", clinic.instance_id: "Clinic's Ivan"}
    assert len(records(backend)) == 4


def test_a_hanging_instance_does_not_hold_up_the_others(
    command_env: None, servers: list[FakeGreenApi], backend: Backend
) -> None:
    shop, clinic, _ = servers
    shop.enqueue(call(shop.instance_id))
    shop.fail("receiveNotification", hang=FOREVER)
    receipts = [clinic.enqueue(call(clinic.instance_id, idMessage=f"{n:032X}")) for n in range(3)]
    config = Config.from_env(os.environ)
    stop = threading.Event()
    with contextlib.closing(ClientPool(config.instances, backoff_factor=0)) as clients:
        service = build_service(config, clients)
        codes: list[int] = []
        worker = threading.Thread(
            target=lambda: codes.append(
                poll_instances(list(config.instances), clients, service, stop=stop)
            )
        )
        worker.start()
        wait_for(lambda: deleted(clinic) == receipts)
        stop.set()
        worker.join(timeout=60)  # a hang guard

    assert codes == [0]
    assert shop.requests_for("deleteNotification") == []
    assert len(shop.queue) == 1
    assert {doc["instanceId"] for doc in records(backend).values()} == {clinic.instance_id}


def deleted(fake: FakeGreenApi) -> list[int]:
    return [int(r.path.rsplit("/", 1)[1]) for r in fake.requests_for("deleteNotification")]


def test_calls_shows_whose_call_it_was(
    app: Any, servers: list[FakeGreenApi], backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    shop, clinic, _ = servers
    instances = instance_map(shop, clinic, **{str(shop.instance_id): {"label": "Shop"}})
    client = app(instances)
    now = int(time.time())
    for fake, minutes in ((shop, 1), (clinic, 2)):
        body = call(fake.instance_id, timestamp=now - 60 * minutes)
        assert post(client, body).status_code == 200

    as_a_fresh_process()
    capsys.readouterr()  # the function's own log lines
    assert main(["calls"]) == 0
    header, shop_row, clinic_row = capsys.readouterr().out.splitlines()
    assert header.split()[:2] == ["instance", "time"]
    assert shop_row.startswith("Shop ")
    assert clinic_row.startswith(f"{clinic.instance_id} ")

    assert main(["calls", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [row.get("instanceLabel") for row in shown] == ["Shop", None]


def test_status_lists_every_instance_of_the_map_by_its_label(
    app: Any, servers: list[FakeGreenApi], backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    shop, clinic, _ = servers
    client = app(instance_map(shop, clinic, **{str(shop.instance_id): {"label": "Shop"}}))
    authorized = sample("state-instance-changed") | {"stateInstance": "authorized"}
    authorized["instanceData"] = {**authorized["instanceData"], "idInstance": shop.instance_id}
    assert post(client, authorized).status_code == 200

    as_a_fresh_process()
    capsys.readouterr()  # the function's own log lines
    assert main(["status"]) == 0
    _, shop_row, clinic_row = capsys.readouterr().out.splitlines()
    assert shop_row.startswith(f"Shop ({shop.instance_id})  authorized")
    assert clinic_row.startswith(f"{clinic.instance_id}")
    assert "(none yet)" in clinic_row and "stateWebhook" in clinic_row

    assert main(["status", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(row["instanceId"], row.get("instanceLabel"), row["state"]) for row in shown] == [
        (shop.instance_id, "Shop", "authorized"),
        (clinic.instance_id, None, None),
    ]


def test_each_instance_gets_its_own_digest_through_itself(
    app: Any,
    servers: list[FakeGreenApi],
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shop, clinic, office = servers
    own = {
        str(shop.instance_id): {"label": "Shop", "operatorChatId": "79000000001@c.us"},
        # 23:30 UTC on the 24th is already the 25th in Moscow: the clinic's day.
        str(clinic.instance_id): {
            "operatorChatId": "79000000002@c.us",
            "timezone": "Europe/Moscow",
        },
    }
    instances = instance_map(shop, clinic, office, **own)
    client = app(instances, CALL_MODE="results")
    for fake, at in ((shop, "2026-11-25T10:00:00+00:00"), (clinic, "2026-11-24T23:30:00+00:00")):
        missed = call(
            fake.instance_id, "missed", timestamp=int(datetime.fromisoformat(at).timestamp())
        )
        assert post(client, missed).status_code == 200
    monkeypatch.setenv("GREEN_API_INSTANCES", instances)
    monkeypatch.setenv("CALL_MODE", "results")
    as_a_fresh_process()
    capsys.readouterr()

    code = main(["calls", "digest", "--date", "2026-11-25", "--send"])

    out, err = capsys.readouterr()
    assert code == 0, err
    for fake, chat in ((shop, "79000000001@c.us"), (clinic, "79000000002@c.us")):
        (sent,) = fake.requests_for("sendMessage")
        assert sent.json["chatId"] == chat
        assert sent.json["message"].startswith("Calls on 2026-11-25: 1, answered 0, missed 1.")
    assert office.requests == []  # no operator chat: printed, not sent
    assert f"instance {office.instance_id} has no operatorChatId: not sent" in err
    assert f"== instance Shop ({shop.instance_id})" in out
    assert {path for path in backend.documents() if path.startswith("digests/")} == {
        f"digests/2026-11-25_{shop.instance_id}",
        f"digests/2026-11-25_{clinic.instance_id}",
    }


def test_the_report_of_one_instance(
    app: Any,
    servers: list[FakeGreenApi],
    backend: Backend,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shop, clinic, _ = servers
    instances = instance_map(shop, clinic, **{str(shop.instance_id): {"label": "Shop"}})
    client = app(instances)
    now = int(time.time())
    for n, fake in enumerate((shop, clinic, clinic)):
        missed = call(fake.instance_id, "missed", timestamp=now - 60, idMessage=f"{n:032X}")
        assert post(client, missed).status_code == 200
    monkeypatch.setenv("GREEN_API_INSTANCES", instances)
    as_a_fresh_process()
    capsys.readouterr()
    page = tmp_path / "shop.html"

    assert main(["calls", "report", "--json", "--instance", str(shop.instance_id)]) == 0
    assert json.loads(capsys.readouterr().out)["missed"] == 1
    assert main(["calls", "report", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["missed"] == 3
    assert main(["calls", "report", "--html", str(page), "--instance", str(shop.instance_id)]) == 0
    assert f"<h1>Calls: Shop ({shop.instance_id})</h1>" in page.read_text()
    assert main(["calls", "report", "--instance", "7"]) == 2


def test_reconcile_runs_every_instance_through_its_own_journal(
    command_env: None,
    servers: list[FakeGreenApi],
    backend: Backend,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shop, clinic, _ = servers
    now = int(time.time())
    shop.journal = [journal_entry(CALLER, "missed", now - 600, "SHOP1")]
    clinic.journal = [
        journal_entry(CALLER, "pickUp", now - 900, "CLINIC1"),
        journal_entry("79005550000@c.us", "missed", now - 300, "CLINIC2"),
    ]

    assert main(["reconcile", "--json", "--lookup-budget", "0", "--since", "1h"]) == 0

    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (summary["journal"], summary["added"], summary["dry_run"]) == (3, 3, False)
    assert {key: value["added"] for key, value in summary["instances"].items()} == {
        str(shop.instance_id): 1,
        str(clinic.instance_id): 2,
    }
    for fake in (shop, clinic):
        (request,) = fake.requests_for("lastIncomingCalls")
        assert request.path.endswith(
            f"/waInstance{fake.instance_id}/lastIncomingCalls/{fake.token}"
        )
    found = {(doc["instanceId"], doc["callId"]) for doc in records(backend).values()}
    assert found == {
        (shop.instance_id, "SHOP1"),
        (clinic.instance_id, "CLINIC1"),
        (clinic.instance_id, "CLINIC2"),
    }
