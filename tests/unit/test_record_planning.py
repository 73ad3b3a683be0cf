"""plan_write: which documents a recorded call writes, decided from the snapshot. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from call_logger.core.notification import CallNotification, StateNotification
from call_logger.core.state_plan import StoredState, plan_state
from call_logger.core.write_plan import (
    ChatState,
    NameLookup,
    Snapshot,
    Source,
    callback_time,
    callback_update,
    needs_lookup,
    plan_write,
)

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CALL = CallNotification(1101000001, "79001234567@c.us", "CALL1", "missed", int(AT.timestamp()))
TTL = timedelta(hours=24)
WEBHOOK = Source.WEBHOOK


def chat(
    last_call_at: datetime | None, name: str | None = "Ivan", missed_at: datetime | None = None
) -> ChatState:
    """A chat summary; with `missed_at`, one whose last missed call is then and unhandled."""
    times = {} if missed_at is None else {"lastMissedAt": missed_at}
    return ChatState(
        version=7,
        caller_name=name,
        name_checked_at=AT,
        last_call_at=last_call_at,
        times=times,
        awaiting_callback=None if missed_at is None else True,
    )


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
        "lastMissedAt": AT,
        "awaitingCallback": True,
    }
    assert (plan.chat_key, plan.record_key) == ("1101000001_79001234567@c.us", "CALL1_missed")


def test_a_newer_call_moves_the_summary_under_the_read_version() -> None:
    earlier = chat(AT - timedelta(hours=1))
    plan = plan_write(CALL, "Missed call", Snapshot(earlier, False), None, None, WEBHOOK)
    assert plan.chat is not None and not plan.chat.create
    assert plan.chat.version == 7
    assert plan.chat.fields == {
        "lastCallAt": AT,
        "lastLabel": "Missed call",
        "lastMissedAt": AT,
        "awaitingCallback": True,
    }


def test_an_older_call_arriving_late_leaves_the_chat_alone() -> None:
    later = chat(AT + timedelta(hours=1), missed_at=AT + timedelta(hours=1))
    plan = plan_write(CALL, "Missed call", Snapshot(later, False), None, None, WEBHOOK)
    assert plan.chat is None
    assert plan.record.caller_name == "Ivan"


def test_a_failed_lookup_keeps_the_known_name_and_a_new_one_replaces_it() -> None:
    hour_later = AT + timedelta(hours=1)
    known = Snapshot(chat(hour_later, name="Ivan", missed_at=hour_later), False)
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


def test_callback_times_only_move_forward_and_decide_the_flag() -> None:
    missed = {"lastMissedAt": AT}
    later, earlier = AT + timedelta(minutes=5), AT - timedelta(minutes=5)
    assert callback_update(missed, True, "lastOutgoingMessageAt", later) == {
        "lastOutgoingMessageAt": later,
        "awaitingCallback": False,
    }
    # A message from before the missed call handles nothing; nothing changes but its time.
    assert callback_update(missed, True, "lastOutgoingMessageAt", earlier) == {
        "lastOutgoingMessageAt": earlier
    }
    assert callback_update({"lastAnsweredAt": later}, False, "lastAnsweredAt", AT) == {}
    # An older missed call arriving late: the newer answer still handles it.
    assert callback_update({"lastAnsweredAt": later}, False, "lastMissedAt", AT) == {
        "lastMissedAt": AT
    }


def test_a_call_moves_the_time_of_its_kind() -> None:
    kinds = {
        ("incoming", "offer"): None,
        ("incoming", "pickUp"): "lastAnsweredAt",
        ("incoming", "declined"): "lastMissedAt",
        ("incoming", "someNewStatus"): "lastMissedAt",
        ("outgoing", "pickUp"): "lastOutgoingCallAt",
        ("outgoing", "hungUp"): None,
        ("outgoing", "invalid"): None,
    }
    for (direction, status), moved in kinds.items():
        call = CallNotification(1, "1@c.us", "C", status, 0, direction)
        assert callback_time(call) == moved, (direction, status)


# -- retention --------------------------------------------------------------------------------

RETENTION = timedelta(days=30)


def test_with_retention_the_chat_expires_with_its_newest_call() -> None:
    created = plan_write(CALL, "Missed call", Snapshot(None, False), None, RETENTION, WEBHOOK)
    assert created.chat is not None
    assert created.chat.fields["expireAt"] == AT + RETENTION
    assert created.record.expire_at == AT + RETENTION

    moved = plan_write(
        CALL, "Missed call", Snapshot(chat(AT - RETENTION), False), None, RETENTION, WEBHOOK
    )
    assert moved.chat is not None and moved.chat.fields["expireAt"] == AT + RETENTION

    # An older call arriving late leaves lastCallAt, and so expireAt, where they are.
    newer = chat(AT + TTL, missed_at=AT + TTL)
    late = plan_write(CALL, "Missed call", Snapshot(newer, False), None, RETENTION, WEBHOOK)
    assert late.chat is None


# -- instance state ---------------------------------------------------------------------------


def state(name: str, at: datetime = AT) -> StateNotification:
    return StateNotification(1101000001, name, int(at.timestamp()), "79009876543@c.us")


def test_the_first_state_creates_the_instance() -> None:
    write = plan_state(state("notAuthorized"), None)
    assert write is not None and write.create
    assert write.fields == {
        "instanceId": 1101000001,
        "state": "notAuthorized",
        "stateChangedAt": AT,
        "wid": "79009876543@c.us",
    }


def test_only_a_newer_state_replaces_the_stored_one() -> None:
    stored = StoredState(version=3, state="notAuthorized", changed_at=AT)
    newer = plan_state(state("authorized", AT + TTL), stored)
    assert newer is not None and not newer.create and newer.version == 3
    assert plan_state(state("notAuthorized"), stored) is None  # a redelivery
    assert plan_state(state("authorized", AT - TTL), stored) is None  # older, arriving late


def test_at_the_same_second_the_state_needing_a_person_wins_in_either_order() -> None:
    authorized = StoredState(version=1, state="authorized", changed_at=AT)
    blocked = StoredState(version=1, state="blocked", changed_at=AT)
    assert plan_state(state("blocked"), authorized) is not None
    assert plan_state(state("authorized"), blocked) is None
