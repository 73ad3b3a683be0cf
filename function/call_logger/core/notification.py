"""Parse and validate the notifications the service handles (calls, outgoing messages, instance
states) into typed values. Pure: no I/O, nothing heavy imported."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from call_logger.core.envelope import (
    AUTHORIZED,
    OUTGOING_CALL,
    OUTGOING_MESSAGE_API,
    instance_id_of,
    notification_type,
)
from call_logger.settings.limits import canonical_status

INCOMING, OUTGOING = "incoming", "outgoing"
# What a person does about each state GREEN-API documents (for logs, alerts and `status`).
_WHAT_TO_DO = {
    AUTHORIZED: "",
    "notAuthorized": "logged out: scan the QR code in the GREEN-API console to log in again",
    "blocked": "the number is banned by WhatsApp: contact GREEN-API support",
    "yellowCard": "messages are temporarily not sent (a warning before a ban)",
    "sleepMode": "the phone is offline: wake it and check its connection",
    "starting": "the instance is starting: check again in a few minutes",
}

# Firestore's limits on document ids and timestamps; a value outside them can never be stored.
MAX_ID_BYTES = 1500
MIN_TIMESTAMP = -62135596800  # 0001-01-01T00:00:00Z
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1  # a Firestore integer is 64-bit
_RESERVED_ID = re.compile(r"^__.*__$", re.DOTALL)


class Unrecordable(ValueError):
    """An incomingCall that can never be stored as it stands (kept in `rejected` instead)."""


class ChatEvent:
    """Something that happened in a chat at `timestamp` (UNIX seconds); the dataclasses below
    declare the three fields."""

    instance_id: int
    chat_id: str
    timestamp: int

    @property
    def event_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)

    @property
    def chat_key(self) -> str:
        return f"{self.instance_id}_{self.chat_id}"


@dataclass(frozen=True)
class CallNotification(ChatEvent):
    instance_id: int
    chat_id: str
    call_id: str
    status: str  # canonical: hangUp is folded into hungUp
    timestamp: int
    direction: str = INCOMING

    @property
    def record_key(self) -> str:
        return f"{self.call_id}_{self.status}"

    @property
    def phone(self) -> str | None:
        return phone_of(self.chat_id)


@dataclass(frozen=True)
class OutgoingMessage(ChatEvent):
    """A message the business sent to a chat: a call-back by message, unless it is our reply."""

    instance_id: int
    chat_id: str
    message_id: str
    timestamp: int
    via_api: bool
    text_digest: str | None = None  # message_digest of its text (a text message), never the text


@dataclass(frozen=True)
class StateNotification:
    """A stateInstanceChanged: the instance's authorisation state as of `timestamp`."""

    instance_id: int
    state: str
    timestamp: int
    wid: str | None

    @property
    def changed_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)


def what_to_do(state: str) -> str:
    """A person's next step for an instance state ("" for authorized)."""
    return _WHAT_TO_DO.get(state, "a state this version does not know: see GREEN-API's docs")


def phone_of(chat_id: str) -> str | None:
    """+<digits> for a person's `<digits>@c.us` id; lid and group ids carry no number."""
    number, _, domain = chat_id.partition("@")
    if domain == "c.us" and number.isascii() and number.isdigit():
        return f"+{number}"
    return None


def message_digest(text: str) -> str:
    """What is kept of a text the product sent, to know it again: a hash, never the text."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


def _text_digest(data: object) -> str | None:
    """message_digest of a message's text (textMessage, or extendedTextMessage when GREEN-API
    adds a link preview); None for any other kind of message."""
    if not isinstance(data, dict):
        return None
    for kind, field in (("textMessageData", "textMessage"), ("extendedTextMessageData", "text")):
        inner = data.get(kind)
        text = inner.get(field) if isinstance(inner, dict) else None
        if isinstance(text, str) and text:
            return message_digest(text)
    return None


def parse_outgoing_message(body: dict[str, Any]) -> OutgoingMessage | None:
    """An outgoing message's chat and time; None when they cannot be read (nothing to track)."""
    sender = body.get("senderData")
    chat_id = sender.get("chatId") if isinstance(sender, dict) else None
    instance_id = instance_id_of(body)
    timestamp = body.get("timestamp")
    message_id = body.get("idMessage")
    if instance_id is None or not isinstance(chat_id, str) or not chat_id:
        return None
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        return None
    if not MIN_TIMESTAMP <= timestamp <= MAX_TIMESTAMP:
        return None
    message = OutgoingMessage(
        instance_id=instance_id,
        chat_id=chat_id,
        message_id=message_id if isinstance(message_id, str) else "",
        timestamp=timestamp,
        via_api=notification_type(body) == OUTGOING_MESSAGE_API,
        text_digest=_text_digest(body.get("messageData")),
    )
    try:
        _check_document_id("chat id", message.chat_key)
    except Unrecordable:
        return None  # no chat can have this key, so no call waits on it
    return message


def parse_call(body: dict[str, Any]) -> CallNotification:
    """An incomingCall or outgoingCall body as a CallNotification, or Unrecordable with the
    reason (for an outgoing call `from` is the chat that was called)."""
    instance_id = _instance_id(body)
    chat_id = _text(body, "from")
    call_id = _text(body, "idMessage")
    status = _text(body, "status")
    timestamp = _timestamp(body)
    call = CallNotification(
        instance_id=instance_id,
        chat_id=chat_id,
        call_id=call_id,
        status=canonical_status(status),
        timestamp=timestamp,
        direction=OUTGOING if notification_type(body) == OUTGOING_CALL else INCOMING,
    )
    _check_document_id("chat id", call.chat_key)
    _check_document_id("record id", call.record_key)
    return call


def parse_state(body: dict[str, Any]) -> StateNotification:
    """A stateInstanceChanged body as a StateNotification, or Unrecordable with the reason."""
    instance_id = _instance_id(body)
    state = _text(body, "stateInstance")
    timestamp = _timestamp(body)  # without its time a state cannot be ordered against others
    wid = body["instanceData"].get("wid")
    return StateNotification(
        instance_id, state[:100], timestamp, wid if isinstance(wid, str) and wid else None
    )


def _instance_id(body: dict[str, Any]) -> int:
    instance_id = instance_id_of(body)
    if instance_id is None:
        raise Unrecordable("instanceData.idInstance is missing or not an integer")
    if not MIN_INTEGER <= instance_id <= MAX_INTEGER:
        raise Unrecordable("instanceData.idInstance is outside the range a Firestore integer holds")
    return instance_id


def _timestamp(body: dict[str, Any]) -> int:
    timestamp = body.get("timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise Unrecordable("timestamp is missing or not an integer")
    if not MIN_TIMESTAMP <= timestamp <= MAX_TIMESTAMP:
        raise Unrecordable("timestamp is outside the range a Firestore timestamp can hold")
    return timestamp


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise Unrecordable(f"{name} is missing or not a non-empty string")
    return value


def _check_document_id(what: str, key: str) -> None:
    if "/" in key:
        raise Unrecordable(f"the {what} {key[:100]!r} contains '/'")
    if _RESERVED_ID.match(key):
        raise Unrecordable(f"the {what} {key[:100]!r} is reserved (__name__)")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise Unrecordable(f"the {what} is not valid Unicode") from None
    if size > MAX_ID_BYTES:
        raise Unrecordable(f"the {what} is {size} bytes, over Firestore's {MAX_ID_BYTES}")
