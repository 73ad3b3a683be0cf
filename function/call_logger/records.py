"""The documents a recorded call writes, decided from what the store holds now. Pure.

A store reads a Snapshot (the chat summary and whether this record exists) in one round trip and
commits a WritePlan in one more, atomically and only if the chat is still as it was read (the
`version` precondition). A lost race is retried from a fresh read, so the outcome does not depend
on the order in which notifications arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .notification import AUTHORIZED, CallNotification, StateNotification


@dataclass(frozen=True)
class ChatState:
    """The chat summary as read; `version` is the store's opaque token for a conditional write."""

    version: Any
    caller_name: str | None
    name_checked_at: datetime | None
    last_call_at: datetime | None


@dataclass(frozen=True)
class Snapshot:
    chat: ChatState | None
    record_exists: bool


@dataclass(frozen=True)
class NameLookup:
    """A finished GetContactInfo: `name` may be None (the contact has none), which is cached too."""

    name: str | None
    checked_at: datetime


@dataclass(frozen=True)
class Record:
    instance_id: int
    chat_id: str
    call_id: str
    status: str
    label: str
    caller_name: str | None
    event_at: datetime
    expire_at: datetime | None

    def fields(self) -> dict[str, Any]:
        """Document fields, recordedAt aside (the store sets it to server time on creation)."""
        fields: dict[str, Any] = {
            "instanceId": self.instance_id,
            "chatId": self.chat_id,
            "callId": self.call_id,
            "status": self.status,
            "label": self.label,
            "callerName": self.caller_name,
            "eventAt": self.event_at,
        }
        if self.expire_at is not None:
            fields["expireAt"] = self.expire_at
        return fields


@dataclass(frozen=True)
class ChatWrite:
    """Create the chat (it must not exist yet) or update `fields` (if `version` still holds)."""

    create: bool
    version: Any
    fields: dict[str, Any]


@dataclass(frozen=True)
class WritePlan:
    chat_key: str
    record_key: str
    record: Record
    chat: ChatWrite | None


def needs_lookup(chat: ChatState | None, now: datetime, ttl: timedelta) -> bool:
    """A caller name is looked up once per TTL per chat, also when the last lookup found none."""
    if chat is None or chat.name_checked_at is None:
        return True
    return now - chat.name_checked_at >= ttl


def plan_write(
    call: CallNotification,
    label: str,
    snapshot: Snapshot,
    lookup: NameLookup | None,
    retention: timedelta | None,
) -> WritePlan:
    chat = snapshot.chat
    # A failed lookup keeps the name we already knew, if any.
    caller_name = lookup.name if lookup else (chat.caller_name if chat else None)
    event_at = call.event_at
    record = Record(
        instance_id=call.instance_id,
        chat_id=call.chat_id,
        call_id=call.call_id,
        status=call.status,
        label=label,
        caller_name=caller_name,
        event_at=event_at,
        expire_at=expire_at(event_at, retention) if retention else None,
    )
    return WritePlan(
        call.chat_key,
        call.record_key,
        record,
        _chat_write(call, record, chat, lookup, retention),
    )


def expire_at(start: datetime, retention: timedelta) -> datetime:
    try:
        return start + retention
    except OverflowError:  # past year 9999: the latest time a Firestore timestamp holds
        return datetime.max.replace(tzinfo=start.tzinfo)


def _chat_write(
    call: CallNotification,
    record: Record,
    chat: ChatState | None,
    lookup: NameLookup | None,
    retention: timedelta | None,
) -> ChatWrite | None:
    # The chat (caller's number and name) expires with its newest record: lastCallAt + retention.
    expiry = {"expireAt": expire_at(record.event_at, retention)} if retention else {}
    if chat is None:
        return ChatWrite(
            create=True,
            version=None,
            fields={
                "instanceId": call.instance_id,
                "chatId": call.chat_id,
                "phone": call.phone,
                "callerName": record.caller_name,
                "callerNameCheckedAt": lookup.checked_at if lookup else None,
                "lastCallAt": record.event_at,
                "lastLabel": record.label,
            }
            | expiry,
        )
    fields: dict[str, Any] = {}
    # lastCallAt never moves backwards: an older call arriving late leaves the summary alone.
    if chat.last_call_at is None or record.event_at > chat.last_call_at:
        fields["lastCallAt"] = record.event_at
        fields["lastLabel"] = record.label
        fields.update(expiry)
    if lookup is not None:
        fields["callerName"] = lookup.name
        fields["callerNameCheckedAt"] = lookup.checked_at
    return ChatWrite(create=False, version=chat.version, fields=fields) if fields else None


# -- instances/{idInstance}: the instance's newest known state ---------------------------------


@dataclass(frozen=True)
class StoredState:
    """instances/{idInstance} as read; `version` as in ChatState."""

    version: Any
    state: str
    changed_at: datetime


@dataclass(frozen=True)
class StateWrite:
    """Create instances/{instance_id} (create=True) or replace it if `version` still holds."""

    instance_id: int
    create: bool
    version: Any
    fields: dict[str, Any]


def state_rank(state: str, changed_at: datetime) -> tuple[datetime, bool, str]:
    """Newer wins; at the same second a state needing a person wins over `authorized` (so an
    alert is never hidden), and names break the last tie: the result is order-independent."""
    return (changed_at, state != AUTHORIZED, state)


def plan_state(notification: StateNotification, stored: StoredState | None) -> StateWrite | None:
    """The write that makes this notification the instance's state; None when the stored state
    is as new or newer (a redelivery or an older notification arriving late)."""
    changed_at = notification.changed_at
    if stored is not None and state_rank(notification.state, changed_at) <= state_rank(
        stored.state, stored.changed_at
    ):
        return None
    return StateWrite(
        instance_id=notification.instance_id,
        create=stored is None,
        version=None if stored is None else stored.version,
        fields={
            "instanceId": notification.instance_id,
            "state": notification.state,
            "stateChangedAt": changed_at,
            "wid": notification.wid,
        },
    )
