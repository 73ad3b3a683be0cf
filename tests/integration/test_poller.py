"""`poll`: the poller against the fake GREEN-API server and the real Firestore emulator."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from call_logger.cli import main
from call_logger.core.write_plan import Source, rejected_id
from call_logger.flows.poller import EXIT_GAVE_UP, EXIT_OK, Backoff, Poller
from call_logger.flows.shared import Outcome
from call_logger.flows.webhook import build_service
from call_logger.green_api import GreenApiClient
from call_logger.settings.config import Config
from google.cloud import firestore

from devserver.emulator import FirestoreEmulator, free_port
from devserver.fake_green_api import FOREVER, NO_BODY, FakeGreenApi
from tests.conftest import ROOT, documents, records, sample

OFFER = sample("incoming-call-offer")
PICKUP = sample("incoming-call-pickup")
MESSAGE = sample("incoming-message")
STATE = sample("state-instance-changed")
CHAT = "chats/1101000001_79001234567@c.us"


class Sleeps(list[float]):
    """A sleep that only records: backoff is asserted, never waited for."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def env(
    db: firestore.Client, fake_green_api: FakeGreenApi, monkeypatch: pytest.MonkeyPatch
) -> firestore.Client:
    """The emulator (wiped) and the fake GREEN-API, as the poll command would read them."""
    for name in list(os.environ):
        if name.startswith(("GREEN_API_", "WEBHOOK_", "CALL_", "CONTACT_", "OPERATOR_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GREEN_API_URL", fake_green_api.url)
    monkeypatch.setenv("GREEN_API_ID_INSTANCE", str(fake_green_api.instance_id))
    monkeypatch.setenv("GREEN_API_TOKEN", fake_green_api.token)
    monkeypatch.setenv("STORE_TIMEOUT", "2")
    monkeypatch.setenv("CONTACT_LOOKUP_BUDGET", "1")
    return db


@pytest.fixture
def client(fake_green_api: FakeGreenApi) -> Iterator[GreenApiClient]:
    # No inline backoff between urllib3's own retries: the tests never wait for real.
    with GreenApiClient(
        fake_green_api.url, fake_green_api.instance_id, fake_green_api.token, backoff_factor=0
    ) as green_api:
        yield green_api


def make_poller(
    client: GreenApiClient, stop: threading.Event | None = None, **options: Any
) -> tuple[Poller, Sleeps]:
    sleeps = Sleeps()
    service = build_service(Config.from_env(os.environ), lambda instance_id: client, Source.POLL)
    return Poller(client, service, stop=stop, sleep=sleeps, **options), sleeps


def deleted(fake: FakeGreenApi) -> list[int]:
    return [int(r.path.rsplit("/", 1)[1]) for r in fake.requests_for("deleteNotification")]


def rejected(db: firestore.Client) -> dict[str, dict[str, Any]]:
    return {
        path.split("/")[1]: doc
        for path, doc in documents(db).items()
        if path.startswith("rejected/")
    }


def test_drains_calls_duplicates_ignored_types_and_garbage(
    env: firestore.Client,
    fake_green_api: FakeGreenApi,
    client: GreenApiClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="call_logger")  # ignored items are DEBUG lines
    fake_green_api.set_contact("79001234567@c.us", contact_name="Ivan Petrov")
    other_instance = OFFER | {
        "instanceData": {**OFFER["instanceData"], "idInstance": 1101000002},
        "idMessage": "0" * 32,
    }
    unrecordable = {k: v for k, v in OFFER.items() if k != "from"}
    queued = {
        "offer": fake_green_api.enqueue(OFFER),
        "duplicate": fake_green_api.enqueue(OFFER),
        "message": fake_green_api.enqueue(MESSAGE),
        "null": fake_green_api.enqueue(None),
        "list": fake_green_api.enqueue([OFFER]),
        "string": fake_green_api.enqueue("incomingCall"),
        "missing": fake_green_api.enqueue(NO_BODY),
        "pickup": fake_green_api.enqueue(PICKUP),
        "state": fake_green_api.enqueue(STATE),
        "other instance": fake_green_api.enqueue(other_instance),
        "unrecordable": fake_green_api.enqueue(unrecordable),
    }
    poller, sleeps = make_poller(client)

    assert poller.run(once=True) == EXIT_OK

    assert fake_green_api.queue == []
    assert deleted(fake_green_api) == list(queued.values())  # each once, in queue order
    assert sleeps == []
    found = records(env)
    assert {(doc["instanceId"], doc["status"], doc["source"]) for doc in found.values()} == {
        (1101000001, "offer", "poll"),
        (1101000001, "pickUp", "poll"),
        # Polled from our own queue: processed whatever instanceData says (no 403 here).
        (1101000002, "offer", "poll"),
    }
    assert found[f"{CHAT}/records/{OFFER['idMessage']}_offer"]["callerName"] == "Ivan Petrov"
    kept = rejected(env)
    assert len(kept) == 5
    null_item = {"receiptId": queued["null"], "body": None}
    assert kept[rejected_id(null_item)]["body"] == json.dumps(null_item)
    reasons = sorted(doc["reason"] for doc in kept.values())
    assert any("has no body" in reason for reason in reasons)
    assert any("body is null" in reason for reason in reasons)
    assert any("body is an array" in reason for reason in reasons)
    assert any("body is a string" in reason for reason in reasons)
    assert any("from is missing" in reason for reason in reasons)

    lines = [r.getMessage() for r in caplog.records if r.name == "call_logger.flows.poller"]
    assert f"receipt {queued['offer']} incomingCall: recorded" in lines
    assert f"receipt {queued['duplicate']} incomingCall: duplicate" in lines
    assert f"receipt {queued['message']} incomingMessageReceived: ignored" in lines
    assert f"receipt {queued['state']} stateInstanceChanged: recorded" in lines
    assert f"receipt {queued['missing']} (no body): rejected" in lines
    assert f"receipt {queued['null']} (null body): rejected" in lines
    assert fake_green_api.token not in caplog.text


def test_a_body_the_webhook_kept_in_rejected_is_not_kept_again_when_polled(
    env: firestore.Client, fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    unrecordable = {k: v for k, v in OFFER.items() if k != "from"}
    # The webhook's bytes: GREEN-API's own spacing, which the poller never sees.
    as_posted = json.dumps(unrecordable, indent=2).encode()
    webhook = build_service(Config.from_env(os.environ), lambda instance_id: client)
    assert webhook.handle(unrecordable, as_posted) == Outcome.REJECTED
    fake_green_api.enqueue(unrecordable)
    poller, _ = make_poller(client)

    assert poller.run(once=True) == EXIT_OK

    (kept,) = rejected(env).values()
    assert kept["body"] == as_posted.decode()  # the first receipt's text stays


def test_storage_outage_leaves_items_queued_and_once_gives_up(
    env: firestore.Client,
    emulator: FirestoreEmulator,
    fake_green_api: FakeGreenApi,
    client: GreenApiClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = fake_green_api.enqueue(MESSAGE)
    offer = fake_green_api.enqueue(OFFER)
    pickup = fake_green_api.enqueue(PICKUP)
    garbage = fake_green_api.enqueue(None)
    # Storage down: nothing listens on this port.
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("STORE_TIMEOUT", "0.5")
    poller, sleeps = make_poller(client, max_attempts=5)

    assert poller.run(once=True) == EXIT_GAVE_UP

    assert sleeps == [1, 2, 4, 8]  # 5 attempts, capped exponential backoff between them
    assert deleted(fake_green_api) == [message]  # an ignored type needs no storage
    assert [receipt for receipt, _ in fake_green_api.queue] == [offer, pickup, garbage]
    assert len(fake_green_api.requests_for("receiveNotification")) == 6

    # Storage is back: the same items are recorded, then deleted.
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", emulator.host)
    poller, sleeps = make_poller(client)
    assert poller.run(once=True) == EXIT_OK
    assert fake_green_api.queue == []
    assert deleted(fake_green_api) == [message, offer, pickup, garbage]
    assert len(records(env)) == 2
    assert len(rejected(env)) == 1


def test_green_api_errors_are_survived(
    env: firestore.Client, fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    offer = fake_green_api.enqueue(OFFER)
    message = fake_green_api.enqueue(MESSAGE)
    fake_green_api.fail("receiveNotification", status=429, times=1)
    fake_green_api.fail("receiveNotification", status=500, times=4)  # past urllib3's 3 retries
    fake_green_api.fail("receiveNotification", bad_json=True, times=1)
    fake_green_api.fail("receiveNotification", drop=True, times=2)  # past urllib3's 1 retry
    fake_green_api.fail("deleteNotification", status=500, times=4)
    poller, sleeps = make_poller(client, max_attempts=10)

    assert poller.run(once=True) == EXIT_OK

    # Four failed receives, one failed delete; then success resets the backoff.
    assert sleeps == [1, 2, 4, 8, 16]
    assert fake_green_api.queue == []
    assert deleted(fake_green_api)[-2:] == [offer, message]
    assert len(records(env)) == 1  # the re-received offer was a duplicate


def test_stop_during_the_long_poll_is_prompt_and_deletes_nothing(
    env: firestore.Client, fake_green_api: FakeGreenApi, client: GreenApiClient
) -> None:
    fake_green_api.enqueue(OFFER)
    fake_green_api.fail("receiveNotification", hang=FOREVER)  # a long poll that never ends
    stop = threading.Event()
    poller, _ = make_poller(client, stop)
    exit_codes: list[int] = []
    worker = threading.Thread(target=lambda: exit_codes.append(poller.run()))
    worker.start()
    wait_for(lambda: fake_green_api.requests_for("receiveNotification"))

    stop.set()
    worker.join(timeout=60)  # a hang guard: without the stop it would never end

    assert exit_codes == [EXIT_OK]
    assert fake_green_api.requests_for("deleteNotification") == []
    assert len(fake_green_api.queue) == 1
    assert records(env) == {}


def test_sigterm_finishes_the_notification_in_hand(
    env: firestore.Client, fake_green_api: FakeGreenApi
) -> None:
    calls = [OFFER | {"from": f"7900000000{n}@c.us", "idMessage": f"{n:032X}"} for n in range(8)]
    receipts = [fake_green_api.enqueue(body) for body in calls]
    fake_green_api.fail("getContactInfo", hang=0.3)  # every call takes a while
    process = subprocess.Popen(
        [sys.executable, "-m", "call_logger", "poll"],
        env=dict(os.environ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: len(fake_green_api.requests_for("deleteNotification")) >= 2)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, err
    # The poller logs the function's JSON lines, on stdout.
    stopping = [json.loads(line) for line in out.splitlines() if "SIGTERM" in line]
    assert [line["message"] for line in stopping] == [
        "SIGTERM: stopping after the notification in hand"
    ]
    assert fake_green_api.token not in out + err
    gone = set(deleted(fake_green_api))
    queued = {receipt for receipt, _ in fake_green_api.queue}
    assert gone | queued == set(receipts)
    assert queued  # it stopped before the end of the queue
    recorded = {doc["callId"] for doc in records(env).values()}
    for receipt, body in zip(receipts, calls, strict=True):
        if receipt in gone:
            assert body["idMessage"] in recorded  # deleted only after a durable write


def test_poll_command_once(
    env: firestore.Client, fake_green_api: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_green_api.enqueue(OFFER)
    fake_green_api.enqueue(STATE)

    assert main(["poll", "--once", "--receive-timeout", "60"]) == 0

    assert fake_green_api.queue == []
    assert fake_green_api.requests_for("receiveNotification")[0].query == {"receiveTimeout": "60"}
    assert len(records(env)) == 1
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


@pytest.mark.parametrize("unset", ["GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN"])
def test_poll_needs_instance_and_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], unset: str
) -> None:
    monkeypatch.setenv("GREEN_API_ID_INSTANCE", "1101000001")
    monkeypatch.setenv("GREEN_API_TOKEN", "t0k3n")
    monkeypatch.delenv(unset)

    assert main(["poll", "--once"]) == 2
    assert f"poll: missing {unset}" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["19", "61", "twenty"])
def test_receive_timeout_range(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["poll", "--receive-timeout", value])
    assert exit_info.value.code == 2
    assert "20 to 60" in capsys.readouterr().err


def test_poll_help_says_webhook_url_must_be_empty(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["poll", "--help"])
    assert "webhookUrl is EMPTY" in capsys.readouterr().out


def test_backoff_doubles_to_a_cap() -> None:
    assert [Backoff().delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert Backoff().delay(10_000) == 60


def wait_for(condition: Any) -> None:
    """A hang guard for background progress, not a timing assertion."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def test_a_polled_missed_call_gets_one_reply_even_queued_twice(
    env: firestore.Client,
    fake_green_api: FakeGreenApi,
    client: GreenApiClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MISSED_CALL_REPLY", "Sorry we missed your call")
    missed = sample("incoming-call-missed") | {"timestamp": int(time.time())}
    fake_green_api.enqueue(missed)
    fake_green_api.enqueue(missed)
    poller, _ = make_poller(client)

    assert poller.run(once=True) == EXIT_OK

    (request,) = fake_green_api.requests_for("sendMessage")
    assert request.json == {"chatId": "79001234567@c.us", "message": "Sorry we missed your call"}
    (record,) = records(env).values()
    assert record["replyId"]
