"""plan_write: which documents a recorded call writes, decided from the snapshot. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from call_logger.notification import CallNotification
from call_logger.records import (
    ChatState,
    NameLookup,
    Snapshot,
    Source,
    needs_lookup,
    plan_write,
)

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CALL = CallNotification(1101000001, "79001234567@c.us", "CALL1", "missed", int(AT.timestamp()))
TTL = timedelta(hours=24)
WEBHOOK = Source.WEBHOOK


def chat(last_call_at: datetime | None, name: str | None = "Ivan") -> ChatState:
    return ChatState(version=7, caller_name=name, name_checked_at=AT, last_call_at=last_call_at)


def test_a_first_call_creates_the_chat_with_its_summary() -> None:
    plan = plan_write(
        CALL, "Missed call", Snapshot(None, False), NameLookup("Ivan", AT), None, WEBHOOK
    )
    assert plan.chat is not None and plan.chat.create
    assert plan.chat.fields == {
        "instanceId": 1101000001,
        "chatId": "79001234567@c.us",
        "phone": "+79001234567",
        "callerName": "Ivan",
        "callerNameCheckedAt": AT,
        "lastCallAt": AT,
        "lastLabel": "Missed call",
    }
    assert (plan.chat_key, plan.record_key) == ("1101000001_79001234567@c.us", "CALL1_missed")


def test_a_newer_call_moves_the_summary_under_the_read_version() -> None:
    earlier = chat(AT - timedelta(hours=1))
    plan = plan_write(CALL, "Missed call", Snapshot(earlier, False), None, None, WEBHOOK)
    assert plan.chat is not None and not plan.chat.create
    assert plan.chat.version == 7
    assert plan.chat.fields == {"lastCallAt": AT, "lastLabel": "Missed call"}


def test_an_older_call_arriving_late_leaves_the_chat_alone() -> None:
    later = chat(AT + timedelta(hours=1))
    plan = plan_write(CALL, "Missed call", Snapshot(later, False), None, None, WEBHOOK)
    assert plan.chat is None
    assert plan.record.caller_name == "Ivan"


def test_a_failed_lookup_keeps_the_known_name_and_a_new_one_replaces_it() -> None:
    known = Snapshot(chat(AT + timedelta(hours=1), name="Ivan"), False)
    assert plan_write(CALL, "x", known, None, None, WEBHOOK).record.caller_name == "Ivan"
    renamed = plan_write(CALL, "x", known, NameLookup("Ivan Petrov", AT), None, WEBHOOK)
    assert renamed.record.caller_name == "Ivan Petrov"
    assert renamed.chat is not None
    assert renamed.chat.fields == {"callerName": "Ivan Petrov", "callerNameCheckedAt": AT}


def test_retention_sets_expire_at_and_saturates_at_the_last_timestamp() -> None:
    year = timedelta(days=365)
    assert (
        plan_write(CALL, "x", Snapshot(None, False), None, year, WEBHOOK).record.expire_at
        == AT + year
    )
    last = CallNotification(1, "1@c.us", "C", "missed", 253402300799)
    expire_at = plan_write(last, "x", Snapshot(None, False), None, year, WEBHOOK).record.expire_at
    assert expire_at == datetime.max.replace(tzinfo=UTC)


def test_a_name_is_looked_up_once_per_ttl() -> None:
    assert needs_lookup(None, AT, TTL)
    assert not needs_lookup(chat(None), AT + TTL - timedelta(seconds=1), TTL)
    assert needs_lookup(chat(None), AT + TTL, TTL)
