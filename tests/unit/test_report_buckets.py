"""The time chart's buckets and the dates people read (issue 28), pure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from call_logger.cli.report import report_summary
from call_logger.core import buckets, charts, dates, digest, report, report_html

from tests.unit.test_report_figures import MSK, rec

FIRST = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("last", "unit"),
    [
        (FIRST + timedelta(days=61), "day"),  # 62 days: about two months
        (FIRST + timedelta(days=62), "week"),
        (date(2026, 12, 31), "week"),  # a year touches 53 ISO weeks
        (date(2027, 2, 3), "month"),  # 400 days
        (date(2030, 12, 31), "month"),  # 60 months
        (date(2031, 1, 1), "year"),
    ],
)
def test_the_span_picks_the_unit(last: date, unit: str) -> None:
    assert buckets.unit_for(FIRST, last) == unit


def test_weeks_start_on_monday_and_the_window_cuts_the_ends() -> None:
    # Thu 1 Jan 2026 to Wed 14 Jan: the weeks of Mon 29 Dec, 5 Jan and 12 Jan
    assert buckets.buckets(FIRST, date(2026, 1, 14), "week") == [
        buckets.Bucket(date(2025, 12, 29), FIRST, date(2026, 1, 4)),
        buckets.Bucket(date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 11)),
        buckets.Bucket(date(2026, 1, 12), date(2026, 1, 12), date(2026, 1, 14)),
    ]
    assert buckets.next_start(date(2026, 12, 1), "month") == date(2027, 1, 1)


def test_a_call_counts_in_the_local_week() -> None:
    # Sun 29 Nov 2026, 21:30 UTC is Mon 30 Nov, 00:30 in Moscow: the week of 30 Nov
    since = datetime(2026, 8, 31, 21, 0, tzinfo=UTC)  # Tue 1 Sep, 00:00 Moscow
    until = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    records = [rec("79001234567@c.us", "missed", "11-29 21:30:00", "A")]

    series = report.compute(records, {}, since, until, MSK).as_dict()["series"]

    assert series["unit"] == "week"
    assert series["buckets"][0] | {"answered": 0} == {
        "start": "2026-08-31",
        "first": "2026-09-01",
        "last": "2026-09-06",
        "answered": 0,
        "missed": 0,
        "callbacks_within_target": 0,
        "callbacks_past_target": 0,
    }
    last_two = [(bucket["start"], bucket["missed"]) for bucket in series["buckets"][-2:]]
    assert last_two == [("2026-11-23", 0), ("2026-11-30", 1)]


def test_dates_carry_a_year_outside_this_one() -> None:
    last_year = datetime(2025, 11, 25, 13, 0, tzinfo=UTC)

    assert dates.moment(last_year, MSK, 2026) == "Tue 25 Nov 2025, 16:00"
    assert dates.moment(last_year, MSK, 2025) == "Tue 25 Nov, 16:00"
    assert dates.short_moment(last_year, MSK, date(2026, 1, 1)) == "25 Nov 2025 16:00"
    assert [dates.label(date(2026, 3, 2), unit) for unit in ("week", "month", "year")] == [
        "2 Mar",
        "Mar 2026",
        "2026",
    ]


def test_a_chart_across_new_year_names_each_year_once() -> None:
    bars = [
        charts.Bar(dates.label(day, "day"), "", (1,), day.year)
        for day in (date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2))
    ]

    svg = charts.stacked(bars, [charts.Series("calls", "#000")], "calls", [True] * 4)

    labels = re.findall(r'<text x="[^"]+" y="(?:154|167)"[^>]*>([^<]+)</text>', svg)
    assert labels == ["30 Dec", "2025", "31 Dec", "1 Jan", "2026", "2 Jan"]


def test_the_waiting_list_says_the_year_of_a_call_from_last_year() -> None:
    since = datetime(2025, 11, 1, tzinfo=UTC)
    until = datetime(2026, 1, 10, tzinfo=UTC)
    records = [rec("79001234567@c.us", "missed", "11-25 13:00:00", "A")]
    records[0]["eventAt"] = records[0]["eventAt"].replace(year=2025)

    found = report.compute(records, {}, since, until, MSK)

    assert "since Tue 25 Nov 2025, 16:00" in re.sub(r"<[^>]+>", " ", report_html.render(found))
    assert "since Tue 25 Nov 2025, 16:00" in report_summary(found)
    text = digest.text(found, date(2026, 1, 9), date(2026, 1, 10))
    assert "since 25 Nov 2025 16:00" in text


def test_labels_fall_on_calendar_marks() -> None:
    days = [FIRST + timedelta(days=offset) for offset in range(62)]  # from Thu 1 Jan 2026
    months = [date(2025, month, 1) for month in range(2, 13)]

    # Ten days apart at the least: every other Monday, from the first (5 Jan)
    labelled_days = [
        day for day, shown in zip(days, buckets.ticks(days, "day", 10), strict=True) if shown
    ]
    labelled_months = [
        start.month
        for start, shown in zip(months, buckets.ticks(months, "month", 3), strict=True)
        if shown
    ]

    assert labelled_days == [
        date(2026, 1, 5),
        date(2026, 1, 19),
        date(2026, 2, 2),
        date(2026, 2, 16),
        date(2026, 3, 2),
    ]
    assert labelled_months == [4, 7, 10]  # the quarters' first months
