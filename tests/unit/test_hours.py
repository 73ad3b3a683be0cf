"""BUSINESS_HOURS in a time zone, pure: boundaries, wrapping day ranges, daylight saving."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from call_logger.settings.hours import BusinessHours

BERLIN = ZoneInfo("Europe/Berlin")
HOURS = BusinessHours.parse("mon-fri 09:00-18:00, sat 10:00-14:00")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        # Friday 2026-03-27, CET (UTC+1): 09:00 local is 08:00 UTC.
        ("2026-03-27T07:59:59", False),
        ("2026-03-27T08:00:00", True),
        ("2026-03-27T16:59:59", True),
        ("2026-03-27T17:00:00", False),
        # Clocks go forward on Sunday 2026-03-29; Monday 2026-03-30 is CEST (UTC+2).
        ("2026-03-30T06:59:59", False),
        ("2026-03-30T07:00:00", True),
        ("2026-03-30T15:59:59", True),
        ("2026-03-30T16:00:00", False),
        # Saturday 2026-03-28 10:00-14:00 CET; Sunday is closed all day.
        ("2026-03-28T09:00:00", True),
        ("2026-03-28T13:00:00", False),
        ("2026-03-29T10:00:00", False),
    ],
)
def test_open_either_side_of_the_boundaries_across_a_dst_change(moment: str, is_open: bool) -> None:
    assert HOURS.is_open(utc(moment), BERLIN) is is_open


def test_a_day_range_wraps_over_the_weekend_and_24_00_ends_the_day() -> None:
    hours = BusinessHours.parse("fri-mon 20:00-24:00")
    assert sorted(hours.open) == [0, 4, 5, 6]
    assert hours.is_open(utc("2026-03-29T23:59:00"), ZoneInfo("UTC"))  # Sunday
    assert not hours.is_open(utc("2026-03-31T21:00:00"), ZoneInfo("UTC"))  # Tuesday


def test_several_ranges_on_one_day() -> None:
    hours = BusinessHours.parse("mon 09:00-12:00, mon 13:00-17:00")
    assert hours.open[0] == ((540, 720), (780, 1020))
    assert not hours.is_open(utc("2026-03-30T12:30:00"), ZoneInfo("UTC"))


def test_time_zones_need_no_system_files() -> None:
    # The AWS Lambda runtime has no /usr/share/zoneinfo; the tzdata package must serve instead.
    root = Path(__file__).resolve().parents[2]
    script = (
        "from call_logger.settings.config import Config; "
        "print(Config.from_env({'TIMEZONE': 'Asia/Tokyo'}).timezone)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONTZPATH": "", "PYTHONPATH": str(root / "function")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "Asia/Tokyo"), done.stderr
