"""What the commands show and send over every instance of GREEN_API_INSTANCES: the calls and
status tables by label, a digest and a report per instance, reconcile through each journal. The
servers and the map: tests/support/fake_instances.py."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest
from call_logger.cli import main

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import as_a_fresh_process, journal_entry, post, records, sample
from tests.support import fake_instances
from tests.support.backends import Backend
from tests.support.fake_instances import CALLER, call, instance_map

servers = fake_instances.servers
app = fake_instances.app
command_env = fake_instances.command_env


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
