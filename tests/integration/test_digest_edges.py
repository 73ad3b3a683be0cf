"""The digest at its edges, both stores and the fake GREEN-API: a GREEN_API_INSTANCES map of one
sends like a map of many; a digest GREEN-API refused is sent by the next run, one that timed out
(it may have been delivered) is not."""

from __future__ import annotations

import json
import os

import pytest
from call_logger.cli import main
from call_logger.flows.scheduled import send_digest_if_due
from call_logger.settings.config import Config

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import as_a_fresh_process
from tests.support.backends import Backend

DAY = "2026-11-25"
OPERATOR = "79990000000@c.us"


def send(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["calls", "digest", "--date", DAY, "--send"])
    return code, capsys.readouterr().err


@pytest.fixture
def map_of_one(fake_green_api: FakeGreenApi, monkeypatch: pytest.MonkeyPatch) -> FakeGreenApi:
    for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN", "GREEN_API_URL", "OPERATOR_CHAT_ID"):
        monkeypatch.delenv(name, raising=False)
    entry = {
        "apiUrl": fake_green_api.url,
        "apiTokenInstance": fake_green_api.token,
        "operatorChatId": OPERATOR,
    }
    monkeypatch.setenv("GREEN_API_INSTANCES", json.dumps({str(fake_green_api.instance_id): entry}))
    as_a_fresh_process()
    return fake_green_api


@pytest.fixture
def one_instance(fake_green_api: FakeGreenApi, monkeypatch: pytest.MonkeyPatch) -> FakeGreenApi:
    monkeypatch.delenv("GREEN_API_INSTANCES", raising=False)
    monkeypatch.setenv("GREEN_API_URL", fake_green_api.url)
    monkeypatch.setenv("GREEN_API_ID_INSTANCE", str(fake_green_api.instance_id))
    monkeypatch.setenv("GREEN_API_TOKEN", fake_green_api.token)
    monkeypatch.setenv("OPERATOR_CHAT_ID", OPERATOR)
    monkeypatch.setenv("CONTACT_LOOKUP_BUDGET", "1")
    as_a_fresh_process()
    return fake_green_api


def test_a_map_of_one_sends_its_digest_by_command(
    backend: Backend, map_of_one: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert send(capsys)[0] == 0
    assert [m["chatId"] for m in map_of_one.messages] == [OPERATOR]
    assert f"digests/{DAY}_{map_of_one.instance_id}" in backend.documents()


def test_a_map_of_one_sends_its_digest_on_the_schedule(
    backend: Backend, map_of_one: FakeGreenApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_TIME", "00:00")
    send_digest_if_due(Config.from_env(os.environ))
    assert [m["chatId"] for m in map_of_one.messages] == [OPERATOR]


def test_a_refused_digest_is_sent_by_the_next_run(
    backend: Backend, one_instance: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    one_instance.fail("sendMessage", status=400, times=1)
    code, err = send(capsys)
    assert code == 1 and "not sent" in err
    assert f"digests/{DAY}" not in backend.documents()  # the claim is released
    assert send(capsys)[0] == 0
    assert [m["chatId"] for m in one_instance.messages] == [OPERATOR]


def test_a_digest_whose_send_timed_out_is_never_sent_twice(
    backend: Backend, one_instance: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    one_instance.fail("sendMessage", hang=3, times=1)  # past CONTACT_LOOKUP_BUDGET
    assert send(capsys)[0] == 1
    code, err = send(capsys)
    assert code == 0 and "was sent before; not sent again" in err
    assert f"digests/{DAY}" in backend.documents()
