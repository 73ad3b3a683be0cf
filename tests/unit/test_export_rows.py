"""The export's rows and bounds (pure): written as they come, a window in TIMEZONE."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from call_logger.core import export

from tests.unit.test_report_figures import MSK, rec

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def rows(count: int) -> Iterator[dict[str, Any]]:
    for number in range(count):
        yield export.row(
            rec("79001234567@c.us", "missed", "11-25 10:00:00", f"A{number}"), MSK, str
        )
    raise RuntimeError("the store went away")


@pytest.mark.parametrize("write", [export.write_csv, export.write_jsonl])
def test_rows_are_written_as_the_store_pages_them_in(write: Any) -> None:
    out = io.StringIO()

    with pytest.raises(RuntimeError):
        write(rows(2), out)

    assert out.getvalue().count("A0") == 1 and out.getvalue().count("A1") == 1


def test_a_row_is_in_the_report_timezone_with_its_phone_and_instance_label() -> None:
    values = export.row(
        rec("79001234567@c.us", "missed", "11-25 10:00:40", "C"), MSK, lambda _: "Shop"
    )

    assert (values["eventAt"], values["phone"], values["instanceLabel"]) == (
        "2026-11-25T13:00:40+03:00",
        "+79001234567",
        "Shop",
    )
    assert (values["direction"], values["replyId"]) == ("incoming", None)


def test_bounds_are_durations_dates_or_times_in_the_timezone() -> None:
    assert export.when("2d", MSK, NOW) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert export.when("2026-11-01", MSK, NOW) == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    until = export.when("2026-11-01", MSK, NOW, end_of_day=True)
    assert until == datetime(2026, 11, 1, 20, 59, 59, 999999, tzinfo=UTC)
    assert export.when("2026-11-01T09:00", MSK, NOW) == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)


def test_the_window_keeps_one_instance_up_to_until() -> None:
    records = [
        rec("79001234567@c.us", "missed", "11-25 10:00:00", "A"),
        rec("79001234567@c.us", "missed", "11-25 09:00:00", "B") | {"instanceId": 7},
        rec("79001234567@c.us", "missed", "11-25 08:00:00", "C"),
    ]
    until = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

    kept = export.in_window(records, until, 1101000001)

    assert [fields["callId"] for fields in kept] == ["C"]
