"""`calls export` (issue 27, item 3): records written by the real function, streamed back from each
store as CSV and JSON Lines that parse back to the same records."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from call_logger.cli import main
from call_logger.core.export import COLUMNS

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, as_a_fresh_process, post, sample
from tests.support.backends import Backend

IVAN, OLGA, LID = "79001234567@c.us", "79005550000@c.us", "123456789012345@lid"
# A name a spreadsheet must not split: a comma, quotes and a line break.
IVAN_NAME = 'Petrov, Ivan "Vanya"\nshop'
BERLIN = ZoneInfo("Europe/Berlin")
HOUR, DAY = 3600, 86400


@pytest.fixture
def seeded(
    make_client: ClientFactory, fake_green_api: FakeGreenApi, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, str, int]]:
    """Calls through the deployed function: (chat, status, time) newest first, in the window."""
    fake_green_api.set_contact(IVAN, contact_name=IVAN_NAME)
    app = make_client(
        GREEN_API_URL=fake_green_api.url,
        GREEN_API_ID_INSTANCE=str(fake_green_api.instance_id),
        GREEN_API_TOKEN=fake_green_api.token,
        TIMEZONE="Europe/Berlin",
    )
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    now = int(time.time())
    calls = [
        (IVAN, "pickUp", now - HOUR),
        (OLGA, "declined", now - 3 * HOUR),
        (LID, "hungUp", now - 2 * DAY),
        (IVAN, "missed", now - 10 * DAY),  # before the window
    ]
    for number, (chat, status, at) in enumerate(reversed(calls)):
        body = sample("incoming-call-offer") | {
            "from": chat,
            "status": status,
            "timestamp": at,
            "idMessage": f"E{number}".ljust(32, "0"),
        }
        assert post(app, body).status_code == 200
    as_a_fresh_process()
    return calls[:3]


def export(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["calls", "export", "--since", "7d", *args])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return out


def expected(calls: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """What a person wrote down about each call, in the export's words."""
    return [
        {
            "eventAt": datetime.fromtimestamp(at, UTC).astimezone(BERLIN).isoformat(),
            "chatId": chat,
            "phone": None if chat == LID else "+" + chat.split("@")[0],
            "callerName": IVAN_NAME if chat == IVAN else None,
            "direction": "incoming",
            "status": status,
        }
        for chat, status, at in calls
    ]


def test_csv_parses_back_to_the_records(
    backend: Backend, seeded: list[tuple[str, str, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    out = export(capsys, "--format", "csv")

    assert out.startswith(",".join(COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    found = [{name: row[name] or None for name in expected(seeded)[0]} for row in rows]
    assert found == expected(seeded)
    instance = sample("incoming-call-offer")["instanceData"]["idInstance"]
    assert {row["instanceId"] for row in rows} == {str(instance)}


def test_jsonl_parses_back_to_the_records(
    backend: Backend, seeded: list[tuple[str, str, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    out = export(capsys, "--format", "jsonl")

    rows = [json.loads(line) for line in out.splitlines()]
    assert [list(row) for row in rows] == [list(COLUMNS)] * 3
    found = [{name: row[name] for name in expected(seeded)[0]} for row in rows]
    assert found == expected(seeded)


def test_until_bounds_the_export(
    backend: Backend, seeded: list[tuple[str, str, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    two_hours_ago = datetime.fromtimestamp(time.time() - 2 * HOUR, BERLIN).isoformat()

    found = export(capsys, "--until", two_hours_ago, "--format", "jsonl").splitlines()

    assert [json.loads(line)["status"] for line in found] == ["declined", "hungUp"]


def test_a_bad_bound_is_a_usage_error(backend: Backend, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["calls", "export", "--since", "last week"])

    assert code == 2 and "neither a duration" in capsys.readouterr().err
