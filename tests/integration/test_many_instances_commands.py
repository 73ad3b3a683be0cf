"""The commands over every instance of GREEN_API_INSTANCES: configure-instance (all, one, a
check, one failing) and the poller (draining each queue, a hanging instance). The servers and the
map: tests/support/fake_instances.py."""

from __future__ import annotations

import contextlib
import os
import threading

import pytest
from call_logger.cli import main
from call_logger.core.instance_settings import wanted
from call_logger.flows.poller import poll_instances
from call_logger.flows.webhook import build_service
from call_logger.green_api import ClientPool
from call_logger.settings.config import Config

from devserver.fake_green_api import FOREVER, FakeGreenApi
from tests.conftest import records, sample
from tests.integration.test_poller import wait_for
from tests.support import fake_instances
from tests.support.backends import Backend
from tests.support.fake_instances import WEBHOOK_TOKEN, call

servers = fake_instances.servers
command_env = fake_instances.command_env
named_callers = fake_instances.named_callers
WEBHOOK_URL = "https://europe-west1-demo.cloudfunctions.net/green-call-logger"


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
    config = Config.from_env(os.environ)
    needed = wanted(
        WEBHOOK_URL,
        None,
        callback_by_message=config.callback_by_message,
        keep_incoming_webhook=False,
    )
    shop.settings.update(needed)

    code, out, _ = configure(capsys, "--all", "--check")

    assert code == 1  # the clinic is not set up yet
    shop_part, clinic_part = out.split(f"== instance {clinic.instance_id}")
    assert shop_part.count(" ok ") == len(needed) and "MISMATCH" not in shop_part
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


def deleted(fake: FakeGreenApi) -> list[int]:
    return [int(r.path.rsplit("/", 1)[1]) for r in fake.requests_for("deleteNotification")]


def test_poll_drains_every_instance_each_deleting_only_its_own(
    command_env: None,
    servers: list[FakeGreenApi],
    named_callers: dict[int, str],
    backend: Backend,
) -> None:
    shop, clinic, _ = servers
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
    assert names == named_callers
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
