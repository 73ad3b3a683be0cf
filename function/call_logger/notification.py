"""Parse and validate a GREEN-API notification body. Pure: no I/O, nothing heavy imported."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decimal import Decimal

INCOMING_CALL = "incomingCall"
OUTGOING_CALL = "outgoingCall"  # a call made from the business's phone
CALL_TYPES = frozenset({INCOMING_CALL, OUTGOING_CALL})
# A message sent from the phone, and one sent through the API (the product's replies too).
OUTGOING_MESSAGE_API = "outgoingAPIMessageReceived"
OUTGOING_MESSAGE_TYPES = frozenset({"outgoingMessageReceived", OUTGOING_MESSAGE_API})
INCOMING, OUTGOING = "incoming", "outgoing"
STATE_INSTANCE_CHANGED = "stateInstanceChanged"
# The one stateInstance in which the instance receives calls; any other one needs a person.
AUTHORIZED = "authorized"
# What a person does about each state GREEN-API documents (for logs, alerts and `status`).
_WHAT_TO_DO = {
    AUTHORIZED: "",
    "notAuthorized": "logged out: scan the QR code in the GREEN-API console to log in again",
    "blocked": "the number is banned by WhatsApp: contact GREEN-API support",
    "yellowCard": "messages are temporarily not sent (a warning before a ban)",
    "sleepMode": "the phone is offline: wake it and check its connection",
    "starting": "the instance is starting: check again in a few minutes",
}

# GREEN-API's SDKs spell the "not answered" status hangUp, its documentation hungUp.
CANONICAL_STATUS = {"hangUp": "hungUp"}

# Chat id domains of a single person (a group is @g.us; anything else is not a person either).
PERSONAL_DOMAINS = ("c.us", "lid")


def canonical_status(status: str) -> str:
    """The one spelling a status is stored, labelled and compared under."""
    return CANONICAL_STATUS.get(status, status)


# Firestore's limits on document ids and timestamps; a value outside them can never be stored.
MAX_ID_BYTES = 1500
MIN_TIMESTAMP = -62135596800  # 0001-01-01T00:00:00Z
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z
MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1  # a Firestore integer is 64-bit
_RESERVED_ID = re.compile(r"^__.*__$", re.DOTALL)


class BadBody(ValueError):
    """The body is not a JSON object: no notification can be read from it."""


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


def is_tracked(kind: str | None, callback_by_message: bool) -> bool:
    """Whether a notification type reaches the service; every other type is acknowledged."""
    return kind in CALL_TYPES or (callback_by_message and kind in OUTGOING_MESSAGE_TYPES)


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


def is_personal_chat(chat_id: str) -> bool:
    """A person's chat (`<digits>@c.us` or `<id>@lid`): the only kind a message is sent to."""
    number, at, domain = chat_id.partition("@")
    return (
        bool(number)
        and at == "@"
        and domain in PERSONAL_DOMAINS
        and number.isascii()
        and number.isdigit()
    )


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or BadBody."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_int=_parse_int)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise BadBody("the body is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise BadBody("the body is not a JSON object")
    return value


def _parse_int(digits: str) -> int | Decimal:
    try:
        return int(digits)
    except ValueError:
        # Past Python's int() digit limit: still valid JSON (a 400 would stall the instance's
        # queue for 24 h); a Decimal is no int, so such a number is never taken as an id or time.
        from decimal import Decimal

        return Decimal(digits)


def notification_type(body: dict[str, Any]) -> str | None:
    kind = body.get("typeWebhook")
    return kind if isinstance(kind, str) else None


def instance_id_of(body: dict[str, Any]) -> int | None:
    """instanceData.idInstance when it is readable as a whole number, else None."""
    data = body.get("instanceData")
    if not isinstance(data, dict):
        return None
    value = data.get("idInstance")
    return value if _is_int(value) else None


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
    )
    try:
        _check_document_id("chat id", message.chat_key)
    except Unrecordable:
        return None  # no chat can have this key, so no call waits on it
    return message


def log_fields(body: dict[str, Any]) -> dict[str, Any]:
    """What a log line says about a notification: its instance and type, and for a call its id,
    chat and status (the chat id is masked by the log formatter unless LOG_CHAT_IDS=full)."""
    kind = notification_type(body)
    fields: dict[str, Any] = {"instance": instance_id_of(body), "type": kind}
    if kind in CALL_TYPES:
        fields.update(
            callId=body.get("idMessage"), chatId=body.get("from"), callStatus=body.get("status")
        )
    return fields


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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
