"""The documents a recorded call writes, decided from what the store holds now. Pure.

A store reads a Snapshot (the chat summary and whether this record exists) in one round trip and
commits a WritePlan in one more, atomically and only if the chat is still as it was read (the
`version` precondition). A lost race is retried from a fresh read, so the outcome does not depend
on the order in which notifications arrive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from call_logger.core.events import OutboxEvent
from call_logger.core.notification import (
    INCOMING,
    OUTGOING,
    CallNotification,
    message_digest,
)
from call_logger.core.replies import render
from call_logger.core.send_caps import NOTICE, CapDecision, SendLog, SendLogWrite

# Call-back tracking: the chat summary's times, each only moving forward, and the flag that
# is true while the last missed call is newer than every answer, call-back and message after it.
LAST_MISSED = "lastMissedAt"
LAST_ANSWERED = "lastAnsweredAt"
LAST_OUTGOING_CALL = "lastOutgoingCallAt"  # the last outgoing call that was answered
LAST_OUTGOING_MESSAGE = "lastOutgoingMessageAt"
CALLBACK_TIMES = (LAST_MISSED, LAST_ANSWERED, LAST_OUTGOING_CALL, LAST_OUTGOING_MESSAGE)
AWAITING_CALLBACK = "awaitingCallback"
LAST_REPLY = "lastReplyAt"  # when the chat was last sent an automatic reply (the cooldown)
# notification.message_digest of that reply's text: GREEN-API's webhook about a message with
# this text, sent through the API within the cooldown, is the reply, whatever its timing.
LAST_REPLY_DIGEST = "lastReplyDigest"
# One person, two ids: a phone chat's `lid` (learnt from GREEN-API's checkWhatsapp), and on that
# lid's chat `person`, the phone chat id. Either names the person's other chat.
LID = "lid"
PERSON = "person"


class Source(StrEnum):
    """How a record reached us: the record's `source` field."""

    WEBHOOK = "webhook"  # GREEN-API posted the notification to the function
    POLL = "poll"  # the `poll` command took it from the instance's queue
    JOURNAL = "journal"  # only `reconcile` found it, in GREEN-API's lastIncomingCalls journal


@dataclass(frozen=True)
class ChatState:
    """The chat summary as read; `version` is the store's opaque token for a conditional write."""

    version: Any
    caller_name: str | None
    name_checked_at: datetime | None
    last_call_at: datetime | None
    times: Mapping[str, datetime] = field(default_factory=dict)  # CALLBACK_TIMES present
    awaiting_callback: bool | None = None  # None: not written yet
    last_reply_at: datetime | None = None  # when this chat was last sent an automatic reply
    last_reply_digest: str | None = None  # LAST_REPLY_DIGEST
    linked_chat_id: str | None = None  # the same person's other chat id (LID or PERSON)

    @classmethod
    def from_fields(cls, version: Any, data: Mapping[str, Any]) -> ChatState:
        """The summary from a store's document fields."""
        return cls(
            version=version,
            caller_name=data.get("callerName"),
            name_checked_at=data.get("callerNameCheckedAt"),
            last_call_at=data.get("lastCallAt"),
            times={name: data[name] for name in CALLBACK_TIMES if data.get(name) is not None},
            awaiting_callback=data.get(AWAITING_CALLBACK),
            last_reply_at=data.get(LAST_REPLY),
            last_reply_digest=data.get(LAST_REPLY_DIGEST),
            linked_chat_id=data.get(LID) or data.get(PERSON),
        )


@dataclass(frozen=True)
class Snapshot:
    chat: ChatState | None
    record_exists: bool
    # The instance's send logs asked for (send_caps), by key; a log not yet written is absent.
    send_logs: Mapping[str, SendLog] = field(default_factory=dict)


@dataclass(frozen=True)
class NameLookup:
    """A finished GetContactInfo: `name` may be None (the contact has none), which is cached too."""

    name: str | None
    checked_at: datetime
    lid: str | None = None  # a phone chat's lid, when checkWhatsapp gave one with the name


@dataclass(frozen=True)
class ReplyClaim:
    """This delivery will reply to the caller with `template`, claimed for the chat at `at`."""

    template: str
    at: datetime


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
    source: Source
    direction: str = INCOMING
    reply_text: str | None = None  # the automatic reply this delivery sends
    notice: bool = False  # this delivery claimed an operator notice (within its cap)
    capped_by: tuple[str, ...] = ()  # the caps that kept a message from being sent

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
            "source": self.source.value,
            "direction": self.direction,
        }
        if self.expire_at is not None:
            fields["expireAt"] = self.expire_at
        if self.reply_text is not None:
            fields["replyText"] = self.reply_text
        if self.capped_by:
            fields["cappedBy"] = list(self.capped_by)
        return fields


@dataclass(frozen=True)
class ChatWrite:
    """Create the chat (it must not exist yet) or update `fields` (if `version` still holds);
    `events` are committed with it (a call-back by message)."""

    create: bool
    version: Any
    fields: dict[str, Any]
    events: tuple[OutboxEvent, ...] = ()


@dataclass(frozen=True)
class WritePlan:
    chat_key: str
    record_key: str
    record: Record
    chat: ChatWrite | None
    # Outbox documents committed with the record (only for an instance with EVENTS_URL).
    events: tuple[OutboxEvent, ...] = ()
    send_logs: tuple[SendLogWrite, ...] = ()  # the caps' claims, committed with the record


def with_caps(plan: WritePlan, decisions: Mapping[str, CapDecision]) -> WritePlan:
    """The plan with the caps' decisions (send_caps, by kind): their send-log writes commit with
    the record, the record names the caps that held a message back, and claims the operator
    notice when one was wanted and its cap allowed it."""
    notice = decisions.get(NOTICE)
    record = replace(
        plan.record,
        notice=notice is not None and notice.allowed,
        capped_by=tuple(d.setting for d in decisions.values() if not d.allowed),
    )
    writes = tuple(d.write for d in decisions.values() if d.write is not None)
    return replace(plan, record=record, send_logs=writes)


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
    source: Source,
    reply: ReplyClaim | None = None,
) -> WritePlan:
    """The record and chat writes; a reply claim puts its text on the record and its time on
    the chat (`lastReplyAt`, the cooldown), so the claim commits with the record or not at all."""
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
        source=source,
        direction=call.direction,
        reply_text=render(reply.template, call, caller_name, label) if reply else None,
    )
    chat_write = _chat_write(call, record, chat, lookup, retention, reply.at if reply else None)
    return WritePlan(call.chat_key, call.record_key, record, chat_write)


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
    replied_at: datetime | None,
) -> ChatWrite | None:
    # The chat (caller's number and name) expires with its newest record: lastCallAt + retention.
    expiry = {"expireAt": expire_at(record.event_at, retention)} if retention else {}
    reply: dict[str, Any] = {}
    if replied_at is not None and record.reply_text is not None:
        reply = {LAST_REPLY: replied_at, LAST_REPLY_DIGEST: message_digest(record.reply_text)}
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
            | ({LID: lookup.lid} if lookup and lookup.lid else {})
            | expiry
            | callback_update({}, None, callback_time(call), record.event_at)
            | reply,
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
        if lookup.lid:
            fields[LID] = lookup.lid
    fields |= callback_update(
        chat.times, chat.awaiting_callback, callback_time(call), call.event_at
    )
    fields |= reply
    return ChatWrite(create=False, version=chat.version, fields=fields) if fields else None


def callback_time(call: CallNotification) -> str | None:
    """Which call-back time a call moves: an answered call either way, a missed incoming call;
    None for a ringing call and an outgoing call nobody answered."""
    if call.status == "pickUp":
        return LAST_OUTGOING_CALL if call.direction == OUTGOING else LAST_ANSWERED
    if call.direction == INCOMING and call.status != "offer":
        return LAST_MISSED
    return None


def callback_update(
    times: Mapping[str, datetime], awaiting: bool | None, moved: str | None, at: datetime
) -> dict[str, Any]:
    """The call-back fields to write when `moved` (one of CALLBACK_TIMES, or None) happened
    `at`: the time if it is newer, and awaitingCallback if it is unwritten or changes."""
    update: dict[str, Any] = {}
    if moved is not None and (moved not in times or at > times[moved]):
        update[moved] = at
    now_awaiting = awaiting_callback({**times, **update})
    if now_awaiting != awaiting:
        update[AWAITING_CALLBACK] = now_awaiting
    return update


def awaiting_callback(times: Mapping[str, datetime]) -> bool:
    """True while the last missed call is newer than every answer, call-back and message."""
    missed = times.get(LAST_MISSED)
    if missed is None:
        return False
    handled = [times[name] for name in CALLBACK_TIMES[1:] if name in times]
    return all(missed > at for at in handled)


def plan_outgoing_message(chat: ChatState, at: datetime) -> ChatWrite | None:
    """The chat write for a message sent to the chat `at`; None when nothing changes."""
    fields = callback_update(chat.times, chat.awaiting_callback, LAST_OUTGOING_MESSAGE, at)
    return ChatWrite(create=False, version=chat.version, fields=fields) if fields else None


def rejected_id(body: object) -> str:
    """The id of a notification kept in `rejected`: a hash of its content in one canonical JSON
    form, whatever bytes it arrived as (the webhook's request, the poller's queue item)."""
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
