"""One call notification (or outgoing message) in, one outcome out: the only place that
orchestrates store and GREEN-API for them."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from . import policy, replies
from .config import Config, Mode
from .logs import annotate
from .notification import (
    INCOMING,
    OUTGOING,
    OUTGOING_CALL,
    OUTGOING_MESSAGE_TYPES,
    CallNotification,
    OutgoingMessage,
    Unrecordable,
    canonical_status,
    notification_type,
    parse_call,
    parse_outgoing_message,
    parse_state,
    what_to_do,
)
from .records import (
    NameLookup,
    Record,
    ReplyClaim,
    Snapshot,
    expire_at,
    needs_lookup,
    plan_outgoing_message,
    plan_state,
    plan_write,
)
from .store import PermanentWriteError, StorageUnavailable, Store, WriteConflict

log = logging.getLogger(__name__)

# Concurrent notifications of one chat can each lose the conditional commit; a few rounds settle.
MAX_WRITE_ROUNDS = 8
# GREEN-API's answer to a send beyond the plan's quota (the Developer plan's 3 chats a month).
QUOTA_EXCEEDED = 466


class Outcome(StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"  # an earlier delivery recorded it
    SKIPPED = "skipped"  # the mode does not keep this status
    REJECTED = "rejected"  # can never be recorded: kept in `rejected`
    OUTDATED = "outdated"  # a newer instance state is already stored


class Contact(Protocol):
    @property
    def name(self) -> str | None: ...


class GreenApi(Protocol):
    """The two GREEN-API methods the service uses (green_api.GreenApiClient provides them)."""

    def get_contact_info(self, chat_id: str, *, budget: float) -> Contact: ...

    def send_message(self, chat_id: str, message: str, *, budget: float) -> Any: ...


# idInstance -> the GREEN-API client of that instance, or None when it cannot be called (not in
# the map, or no token): green_api.ClientPool is the real one.
Clients = Callable[[int], GreenApi | None]


def _no_clients(instance_id: int) -> GreenApi | None:
    return None


@dataclass(frozen=True)
class _Line:
    """What a call's own instance brings: its settings (the deployment's, with the instance's
    own in GREEN_API_INSTANCES) and its GREEN-API client (None: GREEN-API is not called)."""

    settings: Config
    green_api: GreenApi | None


class CallService:
    def __init__(
        self,
        config: Config,
        store: Store,
        clients: Clients = _no_clients,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._store = store
        self._clients = clients
        self._clock = clock
        days = config.retention_days
        self._retention = timedelta(days=days) if days else None

    def handle(self, body: dict[str, Any], raw: bytes) -> Outcome:
        """Record a call (incomingCall, outgoingCall) or note an outgoing message for call-back
        tracking; StorageUnavailable means: answer so that it is resent."""
        kind = notification_type(body)
        if kind in OUTGOING_MESSAGE_TYPES:
            return self._outgoing_message(body)
        config = self._config
        status = body.get("status")
        direction = OUTGOING if kind == OUTGOING_CALL else INCOMING
        # The mode is decided first: a skipped status is acknowledged even when malformed.
        if config.mode is Mode.IGNORE or (
            isinstance(status, str)
            and policy.label_key(config.mode, canonical_status(status), direction) is None
        ):
            return Outcome.SKIPPED
        try:
            call = parse_call(body)
        except Unrecordable as error:
            return self.reject(raw, str(error))
        label = policy.label_for(config.mode, call.status, config.labels, call.direction)
        assert label is not None  # the status passed the mode check above
        # Everything below speaks for the call's own instance: its settings, its client.
        line = _Line(config.settings_for(call.instance_id), self._clients(call.instance_id))
        try:
            record = self._record(call, label, line)
        except PermanentWriteError as error:
            return self.reject(raw, f"the database refused the record: {error}")
        if record is None:
            return Outcome.DUPLICATE
        # Only the delivery that created the record gets here: no message is ever sent twice.
        # Replies and notices are about calls to the business, never about its own calls out.
        if call.direction == INCOMING:
            if record.reply_text is not None:
                self._reply(call, record.reply_text, line)
            if line.green_api is not None and replies.notifies_operator(line.settings, call):
                self._notify_operator(call, record, line)
        return Outcome.RECORDED

    def _outgoing_message(self, body: dict[str, Any]) -> Outcome:
        """A message the business sent: it handles the chat's missed calls (CALLBACK_BY_MESSAGE),
        unless the product sent it itself. A chat that never called costs one blind write."""
        message = parse_outgoing_message(body)
        if not self._config.callback_by_message or message is None:
            return Outcome.SKIPPED
        try:
            return self._note_message(message)
        except PermanentWriteError as error:  # no resend can cure it; no call record is lost
            log.warning("outgoing message not noted: %s", error, extra={"event": "message_refused"})
            return Outcome.SKIPPED

    def _note_message(self, message: OutgoingMessage) -> Outcome:
        store = self._store
        if not store.probe_chat(message.chat_key):
            return Outcome.SKIPPED  # never called: nothing waits, and no chat document is made
        if message.via_api and store.is_reply(message.chat_key, message.message_id):
            return Outcome.SKIPPED  # the missed-call reply: no call back by a person
        for _ in range(MAX_WRITE_ROUNDS):
            chat = store.load_chat(message.chat_key)
            if chat is None:
                return Outcome.SKIPPED
            write = plan_outgoing_message(chat, message.event_at)
            if write is None:
                return Outcome.DUPLICATE  # an earlier or newer message is already counted
            try:
                store.save_chat(message.chat_key, write)
            except WriteConflict:
                continue
            return Outcome.RECORDED
        raise StorageUnavailable(
            f"chat {message.chat_key} kept changing under {MAX_WRITE_ROUNDS} writes"
        )

    def record_state(self, body: dict[str, Any], raw: bytes) -> Outcome:
        """Make a stateInstanceChanged the instance's state unless a newer one is stored.
        StorageUnavailable means: answer so that it is resent."""
        annotate(event="instance.state")
        try:
            notification = parse_state(body)
        except Unrecordable as error:
            return self.reject(raw, str(error))
        annotate(state=notification.state, stateChangedAt=notification.changed_at.isoformat())
        for _ in range(MAX_WRITE_ROUNDS):
            stored = self._store.load_instance(notification.instance_id)
            write = plan_state(notification, stored)
            if write is None:
                assert stored is not None  # nothing stored always gives a write
                same = (stored.state, stored.changed_at) == (
                    notification.state,
                    notification.changed_at,
                )
                annotate(storedState=stored.state)
                return Outcome.DUPLICATE if same else Outcome.OUTDATED
            try:
                self._store.save_instance(write)
            except WriteConflict:
                continue
            annotate(
                previousState=None if stored is None else stored.state,
                detail=f"instance {notification.instance_id} is {notification.state}"
                + (f": {advice}" if (advice := what_to_do(notification.state)) else ""),
            )
            return Outcome.RECORDED
        raise StorageUnavailable(
            f"instance {notification.instance_id} kept changing under {MAX_WRITE_ROUNDS} writes"
        )

    def _record(self, call: CallNotification, label: str, line: _Line) -> Record | None:
        """The record this delivery created, or None when an earlier delivery did."""
        lookup: NameLookup | None = None
        looked_up = False
        for _ in range(MAX_WRITE_ROUNDS):
            snapshot = self._store.load(call)
            if snapshot.record_exists:
                return None
            now = self._clock()
            if not looked_up and needs_lookup(snapshot.chat, now, line.settings.contact_cache_ttl):
                lookup = self._look_up(call.chat_id, line)
                looked_up = True  # at most one GetContactInfo per notification, even on conflict
                now = self._clock()
            plan = plan_write(
                call,
                label,
                snapshot,
                lookup,
                self._retention,
                self._reply_claim(call, snapshot, now, line),
            )
            try:
                self._store.save(plan)
            except WriteConflict:
                continue  # e.g. a concurrent call from this chat claimed the reply: decide again
            return plan.record
        raise StorageUnavailable(f"the chat kept changing under {MAX_WRITE_ROUNDS} writes")

    def _reply_claim(
        self, call: CallNotification, snapshot: Snapshot, now: datetime, line: _Line
    ) -> ReplyClaim | None:
        if line.green_api is None or call.direction != INCOMING:
            return None  # a reply answers a call to the business, never one it made
        last_reply_at = snapshot.chat.last_reply_at if snapshot.chat else None
        template = replies.reply_template(line.settings, call, last_reply_at, now)
        return None if template is None else ReplyClaim(template, now)

    def _look_up(self, chat_id: str, line: _Line) -> NameLookup | None:
        """The caller's name; None when it could not be learnt now (the next call tries again)."""
        if line.green_api is None:
            return None
        try:
            contact = line.green_api.get_contact_info(chat_id, budget=line.settings.lookup_budget)
        except Exception as error:  # a lookup never fails the notification
            log.warning("GetContactInfo failed: %s", error, extra={"event": "lookup.failed"})
            return None
        return NameLookup(contact.name, self._clock())

    def _reply(self, call: CallNotification, text: str, line: _Line) -> None:
        """Send the claimed reply to the caller, through the call's own instance, and note on
        the record what became of it. Neither a failed send nor a failed note fails the
        notification; nothing is retried inline (the chat's cooldown is spent either way: a
        caller never gets two)."""
        assert line.green_api is not None  # a reply is claimed only with a client
        try:
            reply_id = line.green_api.send_message(
                call.chat_id, text, budget=line.settings.lookup_budget
            )
        except Exception as error:
            _log_failed_send("reply.failed", "automatic reply", error)
            outcome = {"replyError": str(error)[:500]}
        else:
            log.info(
                "automatic reply sent: %s",
                reply_id,
                extra={"event": "reply.sent", "callId": call.call_id, "replyId": reply_id},
            )
            outcome = {"replyId": reply_id}
        try:
            self._store.update_record(call.chat_key, call.record_key, outcome)
        except Exception as error:  # the record stands; only this note of the reply is missing
            log.warning(
                "could not note the reply on the record: %s",
                error,
                extra={"event": "reply.note_failed", "callId": call.call_id},
            )

    def _notify_operator(self, call: CallNotification, record: Record, line: _Line) -> None:
        """Tell the instance's operator chat about the recorded call ("Missed call from Ivan
        +7900..."), through that instance."""
        assert line.green_api is not None
        config = line.settings
        text = replies.render(config.operator_template, call, record.caller_name, record.label)
        try:
            line.green_api.send_message(config.operator_chat_id, text, budget=config.lookup_budget)
        except Exception as error:  # a failed notice is logged, never fails the notification
            _log_failed_send("operator.failed", "operator notice", error)

    def reject(self, raw: bytes, reason: str) -> Outcome:
        """Keep a notification that can never be recorded in `rejected`, id sha256(raw).
        StorageUnavailable means it was not kept (yet)."""
        body = raw.decode("utf-8", errors="replace")
        now = self._clock()
        expires = expire_at(now, self._retention) if self._retention else None
        # WriteConflict: an earlier delivery kept it, and receivedAt stays the first receipt.
        with contextlib.suppress(WriteConflict):
            self._store.keep_rejected(hashlib.sha256(raw).hexdigest(), body, reason, now, expires)
        annotate(reason=reason)  # on the line about this notification (the webhook's, the poller's)
        return Outcome.REJECTED


def _log_failed_send(event: str, what: str, error: Exception) -> None:
    """A quota answer (466) or a failure that may pass (429, 5xx, timeouts) is a WARNING; one
    that needs the operator (401, 403, 400 not authorized, a bug) is an ERROR. The line carries
    the request's callId and chatId (masked) from the log context."""
    status = getattr(error, "status", None)
    if status == QUOTA_EXCEEDED:
        level, reason = logging.WARNING, "the GREEN-API plan's quota is used up"
    elif getattr(error, "retryable", False):
        level, reason = logging.WARNING, "GREEN-API did not take it now"
    else:
        level, reason = logging.ERROR, "GREEN-API refused it"
    log.log(
        level,
        "%s not sent (%s): %s",
        what,
        reason,
        error,
        extra={"event": event, "greenApiStatus": status},
    )


def build_service(config: Config, clients: Clients | None = None) -> CallService:
    """The CallService the webhook and the poller run: the configured store, and each
    instance's GREEN-API client for names and messages (none for an instance without a token)."""
    if clients is None:
        from .green_api import ClientPool

        clients = ClientPool(config.instances)
    return CallService(config, make_store(config), clients)


def make_store(config: Config) -> Store:
    """STORE picks the database; each is imported only when chosen."""
    if config.store == "dynamodb":
        from .dynamodb_store import DynamoDBStore

        return DynamoDBStore.from_config(config)
    from .firestore_store import FirestoreStore

    return FirestoreStore.from_config(config)
