"""The report's people: a lid's chat linked to a phone chat counts under it, as one person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from call_logger.core import people, report

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PHONE, LID = "79001234567@c.us", "120363012345678901@lid"


def missed(chat_id: str, minutes: int) -> dict[str, object]:
    at = AT + timedelta(minutes=minutes)
    return {"instanceId": 1, "chatId": chat_id, "status": "missed", "eventAt": at}


def test_both_ids_are_one_person_once_linked() -> None:
    records = [missed(PHONE, 0), missed(LID, 5)]
    linked = {
        f"1_{PHONE}": {"instanceId": 1, "lid": LID, "callerName": "Ivan"},
        f"1_{LID}": {"instanceId": 1, "person": PHONE},
    }
    (person,) = report.awaiting(*people.as_people(records, linked))
    assert (person.chat_id, person.phone, person.caller_name, person.missed) == (
        PHONE,
        "+79001234567",
        "Ivan",
        2,
    )
    assert len(report.awaiting(*people.as_people(records, {}))) == 2  # no link known: two people


def test_a_call_back_noted_on_the_other_id_handles_both() -> None:
    records = [missed(LID, 0)]
    chats = {
        f"1_{LID}": {"instanceId": 1, "person": PHONE},
        f"1_{PHONE}": {"instanceId": 1, "lid": LID, "lastOutgoingMessageAt": AT + timedelta(1)},
    }
    assert report.awaiting(*people.as_people(records, chats)) == []
    assert people.person_keys(chats) == {f"1_{LID}": f"1_{PHONE}"}
