"""The report's figures on a fixed data set, every number worked out by hand below (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from call_logger.core import report
from call_logger.core.report import DayCount, Waiting

MSK = ZoneInfo("Europe/Moscow")  # UTC+3 all year: local days start at 21:00 UTC
IVAN, OLGA, PETR = "79001234567@c.us", "79005550000@c.us", "79007770000@c.us"
LID = "123456789012345@lid"
SINCE = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 24 Nov 00:00 in Moscow
UNTIL = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # 26 Nov 15:00 in Moscow


def at(text: str) -> datetime:
    """'11-25 10:00:40' in UTC, 2026."""
    return datetime.fromisoformat(f"2026-{text}").replace(tzinfo=UTC)


def rec(chat: str, status: str, when: str, call: str, **extra: Any) -> dict[str, Any]:
    return {
        "instanceId": 1101000001,
        "chatId": chat,
        "callId": call,
        "status": status,
        "eventAt": at(when),
        "callerName": None,
    } | extra


OUT = {"direction": "outgoing"}
RECORDS = [
    # Ivan: answered after 10 s (the same idMessage for offer and pickUp), 09:00 Moscow on the 24th
    rec(IVAN, "offer", "11-24 06:00:00", "A"),
    rec(IVAN, "pickUp", "11-24 06:00:10", "A"),
    # Olga: rang on the 24th, answered 90 s later just after midnight in Moscow (the 25th, hour 0);
    # offer and pickUp have different idMessages, so they are paired by chat and time
    rec(OLGA, "offer", "11-24 20:59:00", "B1"),
    rec(OLGA, "pickUp", "11-24 21:00:30", "B2"),
    # Ivan: two missed calls on the 25th (13:00 and 17:00 Moscow), never called back
    rec(IVAN, "offer", "11-25 10:00:00", "C", direction="incoming"),
    rec(IVAN, "missed", "11-25 10:00:40", "C", direction="incoming"),
    rec(IVAN, "hungUp", "11-25 14:00:00", "D"),
    # Olga: declined at 18:00 Moscow, then the shop called her back and she answered
    rec(OLGA, "declined", "11-25 15:00:00", "E"),
    rec(OLGA, "pickUp", "11-25 15:30:00", "OUT1", **OUT),
    # A lid caller: answered after 30 s at 11:00 Moscow, missed an hour later
    rec(LID, "offer", "11-26 08:00:00", "F"),
    rec(LID, "pickUp", "11-26 08:00:30", "F"),
    rec(LID, "declined", "11-26 09:00:00", "F2"),
    # Petr: answered on the 24th (no offer known), an unanswered call-back attempt on the 26th,
    # then he missed a call at 10:00 Moscow and the shop wrote to him (chat summary, below)
    rec(PETR, "pickUp", "11-24 12:00:00", "G0"),
    rec(PETR, "hungUp", "11-26 06:00:00", "OUT2", **OUT),
    rec(PETR, "declined", "11-26 07:00:00", "G"),
    # Still ringing: no final status yet, so not a call in the figures
    rec(OLGA, "offer", "11-26 11:00:00", "H"),
    # Before the window
    rec(IVAN, "missed", "11-20 10:00:00", "Z"),
]
CHATS: dict[str, dict[str, Any]] = {
    f"1101000001_{IVAN}": {"callerName": "Ivan Petrov", "lastAnsweredAt": at("11-24 06:00:10")},
    f"1101000001_{PETR}": {"lastOutgoingMessageAt": at("11-26 07:05:00")},
}


def figures() -> report.Figures:
    return report.compute(RECORDS, CHATS, SINCE, UNTIL, MSK)


def test_calls_are_final_incoming_statuses_and_add_up() -> None:
    result = figures()

    # answered: A, B2, F, G0; missed: C, D, E, F2, G (offers, outgoing calls and Z left out)
    assert (result.total, result.answered, result.missed) == (9, 4, 5)
    assert result.missed_rate == 0.5556  # 5 / 9


def test_answer_time_pairs_offer_and_pickup() -> None:
    result = figures()

    # waits 10 s (A), 30 s (F), 90 s (B): median 30, p90 the 3rd of 3 by nearest rank
    assert (result.answer_seconds_median, result.answer_seconds_p90) == (30.0, 90.0)


def test_awaiting_callback_lists_unhandled_missed_calls_oldest_first() -> None:
    result = figures()

    # Olga was called back (answered outgoing call), Petr was written to after his missed call;
    # Petr's unanswered outgoing call handles nothing, but the message does.
    assert result.awaiting_callback == [
        Waiting(IVAN, "+79001234567", "Ivan Petrov", 2, at("11-25 10:00:40"), at("11-25 14:00")),
        Waiting(LID, None, None, 1, at("11-26 09:00"), at("11-26 09:00")),
    ]


def test_days_and_hours_are_local() -> None:
    result = figures()

    assert result.by_day == {
        date(2026, 11, 24): DayCount(answered=2, missed=0),  # A, G0
        date(2026, 11, 25): DayCount(answered=1, missed=3),  # B2; C, D, E
        date(2026, 11, 26): DayCount(answered=1, missed=2),  # F; F2, G
    }
    busy = {hour: calls for hour, calls in result.by_hour.items() if calls}
    assert busy == {0: 1, 9: 1, 10: 1, 11: 1, 12: 1, 13: 1, 15: 1, 17: 1, 18: 1}
    assert sorted(result.by_hour) == list(range(24))


def test_empty_window_has_no_rates() -> None:
    result = report.compute([], {}, SINCE, UNTIL, MSK)

    assert (result.total, result.missed_rate, result.answer_seconds_median) == (0, None, None)
    assert result.awaiting_callback == []
    assert sum(result.by_hour.values()) == 0 and len(result.by_day) == 3


def test_as_dict_has_exactly_the_report_keys_in_json_types() -> None:
    as_dict = figures().as_dict()

    assert tuple(as_dict) == report.KEYS
    assert as_dict["by_day"]["2026-11-25"] == {"answered": 1, "missed": 3}
    assert as_dict["by_hour"]["13"] == 1
    assert as_dict["awaiting_callback"][0] == {
        "chatId": IVAN,
        "phone": "+79001234567",
        "callerName": "Ivan Petrov",
        "missed": 2,
        "oldestMissedAt": "2026-11-25T13:00:40+03:00",
        "newestMissedAt": "2026-11-25T17:00:00+03:00",
    }
