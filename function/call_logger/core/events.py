"""Events for the owner's own systems (a CRM, a help desk): what each is, its stable id, the
outbox document that carries it, its Standard Webhooks signature, and what a delivery attempt's
answer means. Pure: no I/O.

An event is written as an outbox document in the same atomic commit as the record (or chat, or
instance state) it tells of, and delivered from the database's change stream (flows/events.py).
Its id is made from what it tells of, so a resend of a notification, which commits nothing new,
never makes a second event, and a receiver deduplicates redeliveries by `webhook-id`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from call_logger.core.notification import StateNotification

CALL_RECORDED = "call.recorded"
CALLBACK_DONE = "callback.done"
INSTANCE_STATE_CHANGED = "instance.state_changed"

# A receiver that does not take an event (non-2xx, no answer) is retried this long after the
# first attempt; then the event is marked failed and kept for `events list --failed`.
RETRY_FOR = timedelta(hours=24)
GONE = 410  # Standard Webhooks: the receiver asks for no more events

# The outbox document's fields (the same names in Firestore and DynamoDB).
STATE = "state"  # absent while pending; FAILED when given up
FAILED = "failed"
ATTEMPTS = "attempts"
FIRST_ATTEMPT_AT = "firstAttemptAt"
LAST_ERROR = "lastError"


@dataclass(frozen=True)
class OutboxEvent:
    """One event to deliver: `id` is its webhook-id and its outbox document's id."""

    id: str
    type: str
    instance_id: int
    occurred_at: datetime
    data: dict[str, Any]
    created_at: datetime
    expire_at: datetime | None = None

    def body(self) -> str:
        """The request body, Standard Webhooks' shape; the bytes that are signed."""
        payload = {"type": self.type, "timestamp": _iso(self.occurred_at), "data": self.data}
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))

    def fields(self) -> dict[str, Any]:
        """The outbox document: the body as sent (so a delivery signs exactly it) and the
        fields a person and `events list` read."""
        fields: dict[str, Any] = {
            "eventId": self.id,
            "type": self.type,
            "instanceId": self.instance_id,
            "body": self.body(),
            "createdAt": self.created_at,
            ATTEMPTS: 0,
        }
        if self.expire_at is not None:
            fields["expireAt"] = self.expire_at
        return fields


def event_id(kind: str, key: str) -> str:
    """A stable webhook-id: the same record (chat call-back, instance state) gives the same id."""
    digest = hashlib.sha256(f"{kind}\n{key}".encode("utf-8", errors="surrogatepass"))
    return "evt_" + digest.hexdigest()[:40]


def outcome_of(status: str, direction: str) -> str:
    """A call's outcome in words that do not depend on CALL_MODE or CALL_LABELS."""
    if direction == "outgoing":
        return "answered" if status == "pickUp" else "unanswered"
    return {
        "offer": "ringing",
        "pickUp": "answered",
        "hungUp": "dropped",
        "missed": "missed",
        "declined": "missed",
    }.get(status, "unknown")


@dataclass(frozen=True)
class Announce:
    """Events are written for this instance (it has EVENTS_URL): its label for the data, the
    time of the write, and when the outbox document expires (the records' retention; None:
    never)."""

    instance_label: str
    now: datetime
    expire_at: datetime | None = None

    def event(
        self, kind: str, key: str, instance_id: int, at: datetime, data: dict[str, Any]
    ) -> OutboxEvent:
        data = {"instanceId": instance_id, "instanceLabel": self.instance_label, **data}
        return OutboxEvent(
            event_id(kind, key), kind, instance_id, at, data, self.now, self.expire_at
        )


def call_recorded(announce: Announce, record_key: str, fields: dict[str, Any]) -> OutboxEvent:
    """call.recorded from a record's fields (write_plan.Record.fields())."""
    chat_key = f"{fields['instanceId']}_{fields['chatId']}"
    event_at: datetime = fields["eventAt"]
    data = {
        "chatId": fields["chatId"],
        "callerName": fields["callerName"],
        "direction": fields["direction"],
        "status": fields["status"],
        "outcome": outcome_of(fields["status"], fields["direction"]),
        "label": fields["label"],
        "time": _iso(event_at),
        "source": fields["source"],
        "callId": fields["callId"],
    }
    key = f"{chat_key}/{record_key}"
    return announce.event(CALL_RECORDED, key, fields["instanceId"], event_at, data)


def callback_done(
    announce: Announce,
    instance_id: int,
    chat_id: str,
    caller_name: str | None,
    missed_at: datetime,
    done_at: datetime,
    via: str,
) -> OutboxEvent:
    """callback.done: the chat's last missed call was answered by a call (`via` "call") or a
    message ("message") from the business, `seconds` after it."""
    data = {
        "chatId": chat_id,
        "callerName": caller_name,
        "via": via,
        "missedAt": _iso(missed_at),
        "time": _iso(done_at),
        "seconds": max(0, round((done_at - missed_at).total_seconds())),
    }
    key = f"{instance_id}_{chat_id}/{_iso(missed_at)}"
    return announce.event(CALLBACK_DONE, key, instance_id, done_at, data)


def state_changed(
    announce: Announce, notification: StateNotification, previous: str | None
) -> OutboxEvent:
    """instance.state_changed: the instance's new state, and the one it replaces (None: none
    was known)."""
    changed_at, instance_id = notification.changed_at, notification.instance_id
    data = {
        "state": notification.state,
        "previousState": previous,
        "time": _iso(changed_at),
        "wid": notification.wid,
    }
    key = f"{instance_id}/{notification.state}/{_iso(changed_at)}"
    return announce.event(INSTANCE_STATE_CHANGED, key, instance_id, changed_at, data)


def signature_headers(secret: str, event_id: str, body: str, now: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt, signed at `now` (a receiver refuses
    a timestamp more than 5 minutes off, so every attempt is signed afresh)."""
    from standardwebhooks.webhooks import Webhook  # the delivery's, not the recording's

    at = datetime.fromtimestamp(int(now.timestamp()), UTC)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
        "content-type": "application/json",
    }


class Verdict(StrEnum):
    DELIVERED = "delivered"  # 2xx: remove it
    RETRY = "retry"  # the platform tries again, with backoff
    FAILED = "failed"  # RETRY_FOR has passed: kept, marked failed
    GONE = "gone"  # 410: no more to this receiver


def verdict(status: int | None, first_attempt_at: datetime, now: datetime) -> Verdict:
    """What an attempt's answer (`status`; None: no answer in time) means for the event."""
    if status is not None and 200 <= status < 300:
        return Verdict.DELIVERED
    if status == GONE:
        return Verdict.GONE
    return Verdict.FAILED if now - first_attempt_at >= RETRY_FOR else Verdict.RETRY


def is_failed(fields: dict[str, Any], now: datetime) -> bool:
    """Whether `events list --failed` shows an outbox document: marked failed, or still
    pending a day after its first attempt (the platform gave up before the mark was written)."""
    if fields.get(STATE) == FAILED:
        return True
    first = fields.get(FIRST_ATTEMPT_AT)
    return isinstance(first, datetime) and now - first >= RETRY_FOR


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
