"""`calls`: records written by the real function, read back from each deployment's store."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from call_logger.cli import main
from call_logger.core import report
from call_logger.flows.recent_calls import chat_id_of
from call_logger.stores import firestore as firestore_store

from devserver.emulator import free_port
from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, as_a_fresh_process, incoming_call, post
from tests.support.backends import Backend

IVAN = "79001234567@c.us"
OLGA = "79005550000@c.us"
LID = "123456789012345@lid"
HOUR, DAY = 3600, 86400


@pytest.fixture
def seeded(make_client: ClientFactory, fake_green_api: FakeGreenApi) -> list[dict[str, Any]]:
    """Six notifications through the deployed function; newest first, as `calls` lists them."""
    fake_green_api.set_contact(IVAN, contact_name="Ivan Petrov")
    app = make_client(
        GREEN_API_URL=fake_green_api.url,
        GREEN_API_ID_INSTANCE=str(fake_green_api.instance_id),
        GREEN_API_TOKEN=fake_green_api.token,
    )
    now = int(time.time())
    bodies = [
        call(IVAN, "pickUp", now - HOUR + 30, "A1"),
        call(IVAN, "offer", now - HOUR, "A1"),
        call(OLGA, "declined", now - 3 * HOUR + 20, "B2"),
        call(OLGA, "offer", now - 3 * HOUR, "B2"),
        call(LID, "hungUp", now - 2 * DAY, "C3"),
        call(IVAN, "missed", now - 10 * DAY, "D4"),
    ]
    for body in reversed(bodies):  # oldest first, so that arrival order is not list order
        assert post(app, body).status_code == 200
    return bodies


def call(chat_id: str, status: str, timestamp: int, call_id: str) -> dict[str, Any]:
    return incoming_call(chat_id, status, timestamp, call_id.ljust(32, "0"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    as_a_fresh_process()
    code = main(["calls", *args])
    out, err = capsys.readouterr()
    return code, out, err


def table(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    code, out, err = run(capsys, *args)
    assert (code, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split() == ["time", "(UTC)", "phone", "name", "label", "status"]
    return rows


def statuses(rows: list[str]) -> list[str]:
    return [row.split()[-1] for row in rows]


def test_table_is_newest_first_within_24h_by_default(
    seeded: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    rows = table(capsys)

    assert statuses(rows) == ["pickUp", "offer", "declined", "offer"]
    assert "+79001234567" in rows[0]
    assert "Ivan Petrov" in rows[0]
    assert "Answered call" in rows[0]
    assert "+79005550000" in rows[2]
    assert "Missed call" in rows[2]
    assert datetime.fromisoformat(rows[0][:19]).timestamp() > 0  # "YYYY-MM-DD HH:MM:SS"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--since", "7d"], ["pickUp", "offer", "declined", "offer", "hungUp"]),
        (["--since", "90m"], ["pickUp", "offer"]),
        (["--since", "30d", "--chat", IVAN], ["pickUp", "offer", "missed"]),
        (["--since", "30d", "--chat", "+79001234567"], ["pickUp", "offer", "missed"]),
        (["--chat", "79005550000"], ["declined", "offer"]),
        (["--since", "7d", "--chat", LID], ["hungUp"]),
        (["--since", "30d", "--unanswered"], ["declined", "hungUp", "missed"]),
        (["--since", "30d", "--unanswered", "--limit", "2"], ["declined", "hungUp"]),
        (["--chat", IVAN, "--unanswered"], []),
        (["--limit", "1"], ["pickUp"]),
    ],
)
def test_filters(
    seeded: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    expected: list[str],
) -> None:
    if not expected:
        code, out, _ = run(capsys, *args)
        assert (code, out.strip()) == (0, f"No unanswered calls from {IVAN} in the last 24h.")
        return
    assert statuses(table(capsys, *args)) == expected


def test_lid_chats_show_the_chat_id(
    seeded: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    [row] = table(capsys, "--since", "7d", "--unanswered", "--chat", LID)
    assert LID in row
    assert "Dropped call" in row


def test_json_lists_the_record_fields(
    seeded: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--json", "--since", "7d")

    assert code == 0
    found = json.loads(out)
    assert [record["status"] for record in found] == [
        "pickUp",
        "offer",
        "declined",
        "offer",
        "hungUp",
    ]
    newest = found[0]
    assert set(newest) == {
        "instanceId",
        "chatId",
        "callId",
        "status",
        "label",
        "callerName",
        "eventAt",
        "direction",
        "recordedAt",
        "source",
    }
    assert (newest["chatId"], newest["callerName"]) == (IVAN, "Ivan Petrov")
    assert datetime.fromisoformat(newest["eventAt"]).timestamp() == seeded[0]["timestamp"]
    assert datetime.fromisoformat(newest["recordedAt"]).tzinfo is not None


def test_nothing_found(backend: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--since", "15m") == (0, "No calls in the last 15m.\n", "")
    assert run(capsys, "--json") == (0, "[]\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "a week"], "--since: 'a week' is not a duration"),
        (["--since", "0s"], "--since must be more than zero"),
        (["--chat", "ivan"], "neither a chat id"),
    ],
)
def test_bad_options_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err


@pytest.mark.parametrize(
    "env",
    [
        {"FIRESTORE_EMULATOR_HOST": "127.0.0.1:{port}", "GOOGLE_CLOUD_PROJECT": "demo-x"},
        {
            "STORE": "dynamodb",
            "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
    ],
    ids=["firestore", "dynamodb"],
)
def test_unreachable_store_exits_1_without_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    port = free_port()
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(port=port))
    monkeypatch.setenv("STORE_TIMEOUT", "0.5")

    code, out, err = run(capsys)

    assert (code, out) == (1, "")
    assert err.startswith("calls: cannot read the records: ")
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("given", "chat_id"),
    [
        ("+79001234567", IVAN),
        ("79001234567", IVAN),
        ("+7 (900) 123-45-67", IVAN),
        (IVAN, IVAN),
        (LID, LID),
        ("120363000000000000@g.us", "120363000000000000@g.us"),
    ],
)
def test_chat_id_of(given: str, chat_id: str) -> None:
    assert chat_id_of(given) == chat_id


# -- calls report ---------------------------------------------------------------------------


def test_report_json_has_the_figures_of_the_window(
    seeded: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "--json")

    assert (code, err) == (0, "")
    figures = json.loads(out)
    assert tuple(figures) == report.KEYS
    # 7 days: Ivan answered after 30 s, Olga declined, the lid caller hung up (Ivan's missed
    # call of 10 days ago is outside)
    assert {key: figures[key] for key in report.KEYS[:6]} == {
        "total": 3,
        "answered": 1,
        "missed": 2,
        "missed_rate": 0.6667,
        "answer_seconds_median": 30.0,
        "answer_seconds_p90": 30.0,
    }
    assert [(chat["chatId"], chat["missed"]) for chat in figures["awaiting_callback"]] == [
        (LID, 1),
        (OLGA, 1),
    ]
    assert sum(day["answered"] + day["missed"] for day in figures["by_day"].values()) == 3
    assert sum(figures["by_hour"].values()) == 3 and len(figures["by_hour"]) == 24


def test_report_writes_the_page_and_prints_a_summary(
    seeded: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = tmp_path / "report.html"

    code, out, err = run(capsys, "report", "--since", "30d", "--html", str(page))

    assert (code, err) == (0, "")
    # Ivan's missed call of 10 days ago was answered by his call an hour ago
    assert "Calls: 4, answered 1, missed 3 (75%)" in out
    assert "Waiting for a call back: 2" in out
    assert f"Report page written to {page}" in out
    assert "Call back: 2 people (2 missed calls)" in page.read_text(encoding="utf-8")


def test_report_rejects_a_bad_window(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "report", "--since", "0d")

    assert code == 2 and "--since must be more than zero" in err


def test_records_are_read_page_by_page(
    seeded: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Firestore pages (each within STORE_TIMEOUT) join up with nothing lost or repeated."""
    monkeypatch.setattr(firestore_store, "READ_PAGE", 2)

    rows = table(capsys, "--since", "30d")

    assert statuses(rows) == ["pickUp", "offer", "declined", "offer", "hungUp", "missed"]
