"""journal.Matching: when a stored record is the same call as a journal entry (whose timestamp is
the call's END), and which record answers for which entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from call_logger.core.journal import (
    JournalCall,
    Matching,
    answered_twice,
    duration_of,
    may_have_nearby,
)
from call_logger.core.notification import CallNotification
from call_logger.settings.limits import outcome

END = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHAT = "79001234567@c.us"
RULE = Matching(window=timedelta(seconds=120), max_call=timedelta(hours=4))


def entry(
    status: str = "pickUp", end: datetime = END, duration: float | None = None
) -> JournalCall:
    call = CallNotification(1101000001, CHAT, "JOURNALID", status, int(end.timestamp()))
    return JournalCall(call, duration)


def record(status: str, before_end: float, **more: Any) -> dict[str, Any]:
    """A stored record's fields, `before_end` seconds before END (negative: after it)."""
    at = END - timedelta(seconds=before_end)
    return {"callId": "WEBHOOKID", "status": status, "eventAt": at, "source": "webhook"} | more


@pytest.mark.parametrize(
    ("before_end", "matches"),
    [
        (893, True),  # the samples: answered 893 s before the journal's end
        (3 * 3600, True),  # a three-hour conversation
        (4 * 3600, True),  # the longest call RECONCILE_MAX_CALL accepts
        (4 * 3600 + 1, False),  # longer: another call
        (0, True),  # answered and ended within the second
        (-1, False),  # answered after this call ended: the next call
    ],
)
def test_a_webhook_pickup_is_the_answer_before_the_journal_end(
    before_end: float, matches: bool
) -> None:
    assert (RULE.distance(entry(), record("pickUp", before_end)) is not None) is matches


@pytest.mark.parametrize(("before_end", "matches"), [(600, True), (480, True), (479, False)])
def test_with_a_duration_the_answer_time_is_end_minus_duration(
    before_end: float, matches: bool
) -> None:
    found = RULE.distance(entry(duration=600), record("pickUp", before_end))
    assert (found is not None) is matches


@pytest.mark.parametrize(("before_end", "matches"), [(120, True), (-120, True), (121, False)])
def test_other_statuses_and_journal_records_match_within_the_window(
    before_end: float, matches: bool
) -> None:
    assert (RULE.distance(entry("hungUp"), record("hungUp", before_end)) is not None) is matches
    journal_pickup = record("pickUp", before_end, source="journal")  # its eventAt is an end too
    assert (RULE.distance(entry(), journal_pickup) is not None) is matches


@pytest.mark.parametrize(
    ("journal_status", "record_status", "matches"),
    [
        ("declined", "missed", True),  # GREEN-API retires `missed` for `declined`: one outcome
        ("missed", "declined", True),
        ("hungUp", "hangUp", True),  # two spellings of one status
        ("declined", "hungUp", False),  # the called side dropped it: another outcome
        ("pickUp", "offer", False),  # a ring is no final status
    ],
)
def test_missed_and_declined_are_one_outcome_hung_up_its_own(
    journal_status: str, record_status: str, matches: bool
) -> None:
    found = RULE.distance(entry(journal_status), record(record_status, 10))
    assert (found is not None) is matches


def test_outcome_folds_spellings_and_missed_into_one() -> None:
    assert {outcome(s) for s in ("missed", "declined")} == {"missed"}
    assert (outcome("hangUp"), outcome("hungUp"), outcome("pickUp")) == ("hungUp",) * 2 + (
        "pickUp",
    )


def test_a_call_the_business_made_never_matches() -> None:
    assert RULE.distance(entry(), record("pickUp", 60, direction="outgoing")) is None
    assert RULE.distance(entry(), record("pickUp", 60, eventAt=None)) is None


def test_one_record_answers_for_one_entry_the_nearest() -> None:
    first = entry(end=END - timedelta(hours=1))  # answered at 10:30, ended 11:00
    second = entry()  # answered 11:50, ended 12:00; its webhook was lost
    only = record("pickUp", 5400)  # the webhook of the first call, 10:30
    assert RULE.assign([first, second], [only]) == {0: 0}
    assert RULE.assign([second, first], [only]) == {1: 0}
    both = [record("pickUp", 600, callId="B"), only]
    assert RULE.assign([first, second], both) == {0: 1, 1: 0}


def test_ties_go_the_same_way_on_every_run() -> None:
    twins = [record("missed", 30, callId="A"), record("missed", -30, callId="B")]
    for order in (twins, twins[::-1]):
        (chosen,) = RULE.assign([entry("declined")], order).values()
        assert order[chosen]["callId"] == "A"  # as near as B: the older record


def test_the_span_reaches_back_the_longest_call_for_an_answer() -> None:
    assert RULE.span(entry()) == (END - timedelta(hours=4), END + timedelta(seconds=120))
    with_duration = RULE.span(entry(duration=600))
    assert with_duration == (END - timedelta(seconds=720), END + timedelta(seconds=120))
    window = timedelta(seconds=120)
    assert RULE.span(entry("declined")) == (END - window, END + window)


def test_duration_is_read_only_when_it_is_a_number_of_seconds() -> None:
    assert duration_of({"duration": 61}) == 61.0
    assert [duration_of({"duration": v}) for v in (True, "61", -1, None)] == [None] * 4
    assert duration_of({}) is None


def test_a_chat_whose_last_call_is_older_than_the_span_holds_nothing_near() -> None:
    assert may_have_nearby(END, END)
    assert not may_have_nearby(END - timedelta(seconds=1), END)
    assert not may_have_nearby(None, END)


def test_a_journal_record_that_a_webhook_record_answers_for_is_counted_once() -> None:
    webhook = record("pickUp", 900) | {"instanceId": 1, "chatId": CHAT}
    journal = {"callId": "J", "status": "pickUp", "eventAt": END, "source": "journal"}
    journal |= {"instanceId": 1, "chatId": CHAT}
    other_chat = journal | {"chatId": "79005550000@c.us"}
    lone = journal | {"eventAt": END + timedelta(hours=5), "callId": "J2"}  # no webhook for it
    records = [webhook, journal, other_chat, lone]
    assert answered_twice(records, RULE) == {1}
