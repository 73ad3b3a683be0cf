"""The call-back SLA (issue 27, item 4) on a data set worked out by hand below (pure), and the
CALLBACK_TARGET setting."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from call_logger.cli.report import report_summary
from call_logger.core import digest, report, report_html, sla
from call_logger.settings.config import Config, ConfigError

from tests.support.instances import entry, instances_env
from tests.unit.test_report_figures import MSK, OUT, at, rec

SINCE = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # 25 Nov 00:00 in Moscow
UNTIL = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
AS_OF = datetime(2026, 11, 26, 13, 0, tzinfo=UTC)  # call-backs are counted up to here
ANNA, BORIS, CLARA, DMITRI = (
    "79000000001@c.us",
    "79000000002@c.us",
    "79000000003@c.us",
    "79000000004@c.us",
)
ELENA, FYODOR, GLEB = "79000000005@c.us", "79000000006@c.us", "79000000007@c.us"
RECORDS = [
    # Anna tries twice; called back 40 min after her first try: within the hour (2400 s)
    rec(ANNA, "missed", "11-25 06:00:00", "A1"),
    rec(ANNA, "missed", "11-25 06:10:00", "A2"),
    rec(ANNA, "pickUp", "11-25 06:40:00", "A3", **OUT),
    # Boris: an unanswered call-back attempt is none; answered two hours later: late (7200 s)
    rec(BORIS, "declined", "11-25 08:00:00", "B1"),
    rec(BORIS, "hungUp", "11-25 08:30:00", "B2", **OUT),
    rec(BORIS, "pickUp", "11-25 10:00:00", "B3", **OUT),
    # Clara: written to 20 min later (her chat summary, below): within (1200 s)
    rec(CLARA, "missed", "11-25 09:00:00", "C1"),
    # Dmitri calls again and is answered before anyone calls back: counted apart; his next
    # missed call (16:00 Moscow) is still waiting at AS_OF: past the target
    rec(DMITRI, "missed", "11-25 11:00:00", "D1"),
    rec(DMITRI, "pickUp", "11-25 11:30:00", "D2"),
    rec(DMITRI, "missed", "11-25 13:00:00", "D3"),
    # Elena: missed at UNTIL, exactly an hour old at AS_OF: not past the target yet, undecided
    rec(ELENA, "missed", "11-26 12:00:00", "E1"),
    # Fyodor: called back after UNTIL, before AS_OF: late (2 h 30 min, 9000 s)
    rec(FYODOR, "missed", "11-26 10:00:00", "F1"),
    rec(FYODOR, "pickUp", "11-26 12:30:00", "F2", **OUT),
    # Gleb: missed before the window: no wait of this report
    rec(GLEB, "missed", "11-24 20:00:00", "G1"),
]
CHATS: dict[str, dict[str, Any]] = {
    f"1101000001_{CLARA}": {"lastOutgoingMessageAt": at("11-25 09:20:00")},
    f"1101000001_{DMITRI}": {"callerName": "Dmitri"},
}


def figures() -> report.Figures:
    return report.compute(RECORDS, CHATS, SINCE, UNTIL, MSK, timedelta(hours=1), AS_OF)


def test_call_back_times_are_from_the_first_missed_call() -> None:
    found = figures().callbacks

    # 1200, 2400, 7200, 9000: median (2400 + 7200) / 2, p90 the 4th of 4 by nearest rank
    assert (found.seconds_median, found.seconds_p90) == (4800.0, 9000.0)


def test_within_target_rate_is_over_the_decided_waits() -> None:
    found = figures().callbacks

    # within: Anna, Clara; decided: the four call-backs and Dmitri's open wait (Elena's is not)
    assert (found.within_target, found.decided, found.within_target_rate) == (2, 5, 0.4)


def test_callers_who_called_again_first_are_counted_apart() -> None:
    assert figures().callbacks.called_again_first == 1  # Dmitri


def test_past_the_target_are_the_open_waits_older_than_it() -> None:
    found = figures().callbacks

    assert [(wait.chat_id, wait.caller_name, wait.missed_at) for wait in found.past_target] == [
        (DMITRI, "Dmitri", at("11-25 13:00:00"))
    ]


def test_per_day_of_the_missed_call() -> None:
    # 25 Nov (Moscow): Anna and Clara within; Boris late, Dmitri waiting. 26 Nov: Fyodor late.
    assert figures().callbacks.by_day == {date(2026, 11, 25): (2, 2), date(2026, 11, 26): (0, 1)}


def test_the_report_json_has_the_sla_keys() -> None:
    as_dict = json.loads(json.dumps(figures().as_dict()))

    assert {key: as_dict[key] for key in sla.KEYS[:5]} == {
        "callback_target_seconds": 3600.0,
        "callback_seconds_median": 4800.0,
        "callback_seconds_p90": 9000.0,
        "callback_within_target_rate": 0.4,
        "called_again_before_callback": 1,
    }
    assert as_dict["past_callback_target"] == [
        {
            "chatId": DMITRI,
            "phone": "+79000000004",
            "callerName": "Dmitri",
            "missedAt": "2026-11-25T16:00:00+03:00",
        }
    ]
    per_day = [
        (bucket["start"], bucket["callbacks_within_target"], bucket["callbacks_past_target"])
        for bucket in as_dict["series"]["buckets"]
    ]
    assert per_day == [("2026-11-25", 2, 2), ("2026-11-26", 0, 1)]


def test_the_page_charts_call_backs_within_and_past_the_target() -> None:
    page = report_html.render(figures())

    assert "<h2>Call-backs per day</h2>" in page
    titles = re.findall(r"<title>([^<]*(?:within 1 h|past it)[^<]*)</title>", page)
    assert "Wed 25 Nov 2026: 2 called back within 1 h" in titles
    assert "Wed 25 Nov 2026: 2 later, or still waiting past it" in titles
    text = re.sub(r"<[^>]+>", " ", page)
    assert "Called back within 1 h: 40% (2 of 5)" in text


def test_a_period_without_missed_callers_says_so() -> None:
    quiet = report.compute([], {}, SINCE, UNTIL, MSK)

    text = re.sub(r"<[^>]+>", " ", report_html.render(quiet))

    assert "No missed caller has waited 1 h or been called back yet in this period." in text
    assert "Typically after" not in text


def test_the_digest_names_who_is_past_the_target() -> None:
    text = digest.text(figures(), date(2026, 11, 25), date(2026, 11, 26))

    assert "Called back within 1 h: 2 of 5 (typically after 1 h 20 min); 1 called again" in text
    assert "Dmitri +79000000004 (1 missed, since 16:00, past the 1 h target)" in text
    assert "+79000000005 (1 missed, since 26 Nov 15:00)" in text  # Elena: not past it yet


def test_the_text_report_has_the_sla_lines() -> None:
    lines = report_summary(figures()).splitlines()

    assert lines[2:5] == [
        "Called back within 1 h: 40% (2 of 5); typically after 1 h 20 min, "
        "9 in 10 within 2 h 30 min",
        "Called again by themselves before a call back: 1",
        "Past the 1 h target: 1 waiting",
    ]


def test_callback_target_defaults_to_an_hour_and_reads_durations() -> None:
    assert Config.from_env({}).callback_target == timedelta(hours=1)
    assert Config.from_env({"CALLBACK_TARGET": "30m"}).callback_target == timedelta(minutes=30)


@pytest.mark.parametrize("value", ["0", "soon", "-5m"])
def test_callback_target_must_be_a_duration_above_zero(value: str) -> None:
    with pytest.raises(ConfigError, match="CALLBACK_TARGET"):
        Config.from_env({"CALLBACK_TARGET": value})


def test_callback_target_per_instance() -> None:
    config = Config.from_env(
        instances_env({1101000001: entry("t1"), 1101000002: entry("t2", callbackTarget="15m")})
    )

    assert config.settings_for(1101000001).callback_target == timedelta(hours=1)
    assert config.settings_for(1101000002).callback_target == timedelta(minutes=15)
