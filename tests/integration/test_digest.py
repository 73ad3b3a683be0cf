"""The daily digest: its text (pure) and `calls digest`, sent at most once a day, both stores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from call_logger.cli import main
from call_logger.core import digest, report

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import ClientFactory, as_a_fresh_process, incoming_call, post
from tests.support.backends import Backend
from tests.unit.test_report_figures import MSK

DAY = date(2026, 11, 25)
TODAY = DAY + timedelta(days=1)
OPERATOR = "79990000000@c.us"


def waiting(name: str | None, phone: str | None, missed: int, hour: int) -> report.Waiting:
    at = datetime(2026, 11, 25, hour, 40, tzinfo=MSK)
    return report.Waiting(f"{phone}@c.us", phone, name, missed, at, at)


def figures(people: list[report.Waiting], answered: int = 10, missed: int = 4) -> report.Figures:
    start, end = digest.day_bounds(DAY, MSK)
    return report.Figures(
        since=start,
        until=end,
        timezone=MSK,
        total=answered + missed,
        answered=answered,
        missed=missed,
        missed_rate=None,
        answer_seconds_median=None,
        answer_seconds_p90=None,
        awaiting_callback=people,
        by_day={},
        by_hour={},
    )


def test_text_names_who_waits_with_count_and_time() -> None:
    people = [waiting("Ivan Petrov", "+79001234567", 2, 16), waiting(None, "+79005550000", 1, 18)]

    assert digest.text(figures(people), DAY, TODAY) == (
        "Calls yesterday: 14, answered 10, missed 4. Waiting for a call back: "
        "Ivan Petrov +79001234567 (2 missed, since 16:40), +79005550000 (1 missed, since 18:40)."
    )


def test_a_long_list_is_cut() -> None:
    people = [waiting(None, f"+7900000000{i}", 1, 10 + i) for i in range(5)]

    text = digest.text(figures(people), DAY, TODAY, max_named=3)

    assert text.endswith("+79000000002 (1 missed, since 12:40) and 2 more.")


def test_other_days_and_quiet_days() -> None:
    assert digest.text(figures([]), DAY, TODAY + timedelta(days=3)) == (
        "Calls on 2026-11-25: 14, answered 10, missed 4. Nobody is waiting for a call back."
    )
    assert digest.text(figures([], 0, 0), DAY, TODAY).startswith("No calls yesterday.")


def test_day_bounds_are_local_midnights() -> None:
    start, end = digest.day_bounds(DAY, MSK)

    assert start == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 25, 20, 59, 59, 999999, tzinfo=UTC)


def call(
    status: str, when: datetime, call_id: str, chat: str = "79001234567@c.us"
) -> dict[str, Any]:
    return incoming_call(chat, status, int(when.timestamp()), call_id.ljust(32, "0"))


@pytest.fixture
def day_of_calls(
    make_client: ClientFactory, fake_green_api: FakeGreenApi, monkeypatch: pytest.MonkeyPatch
) -> FakeGreenApi:
    """25 Nov 2026 in Moscow: one answered call, two missed from Ivan; one call the day after."""
    fake_green_api.set_contact("79001234567@c.us", contact_name="Ivan Petrov")
    settings = {
        "GREEN_API_URL": fake_green_api.url,
        "GREEN_API_ID_INSTANCE": str(fake_green_api.instance_id),
        "GREEN_API_TOKEN": fake_green_api.token,
        "OPERATOR_CHAT_ID": OPERATOR,
        "TIMEZONE": "Europe/Moscow",
        "CALL_MODE": "results",
    }
    client = make_client(**settings)
    for body in (
        call("pickUp", datetime(2026, 11, 25, 9, 0, tzinfo=MSK), "A", "79005550000@c.us"),
        call("missed", datetime(2026, 11, 25, 16, 40, tzinfo=MSK), "B"),
        call("declined", datetime(2026, 11, 25, 17, 5, tzinfo=MSK), "C"),
        call("missed", datetime(2026, 11, 26, 0, 30, tzinfo=MSK), "D", "79005550000@c.us"),
    ):
        assert post(client, body).status_code == 200
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    as_a_fresh_process()
    return fake_green_api


EXPECTED = (
    "Calls on 2026-11-25: 3, answered 1, missed 2. Called back within 1 h: 0 of 1. "
    "Waiting for a call back: Ivan Petrov +79001234567 (2 missed, since 16:40, past the 1 h "
    "target)."
)


def digest_command(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["calls", "digest", "--date", "2026-11-25", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_digest_prints_without_sending(
    backend: Backend, day_of_calls: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert digest_command(capsys) == (0, EXPECTED + "\n", "")
    assert day_of_calls.messages == []


def test_digest_is_sent_once_per_day(
    backend: Backend, day_of_calls: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    first = digest_command(capsys, "--send")
    second = digest_command(capsys, "--send")

    assert first == (0, EXPECTED + "\n", "")
    assert second[:2] == (0, EXPECTED + "\n")
    assert "was sent before; not sent again" in second[2]
    assert day_of_calls.messages == [{"chatId": OPERATOR, "message": EXPECTED}]
    assert "digests/2026-11-25" in backend.documents()


def test_sending_needs_an_operator_chat(
    backend: Backend, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPERATOR_CHAT_ID", raising=False)

    code, _, err = digest_command(capsys, "--send")

    assert code == 2 and "--send needs OPERATOR_CHAT_ID" in err
