"""One call notification (or outgoing message) in, one outcome out: the only place that
orchestrates store and GREEN-API for them."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from . import policy
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

    def send_message(self, chat_id: str, message: str) -> Any: ...


# idInstance -> the GREEN-API client of that instance, or None when it cannot be called (not in
# the map, or no token): green_api.ClientPool is the real one.
Clients = Callable[[int], GreenApi | None]


def _no_clients(instance_id: int) -> GreenApi | None:
    return None


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
        settings = config.settings_for(call.instance_id)
        green_api = self._clients(call.instance_id)
        try:
            record = self._record(call, label, settings, green_api)
        except PermanentWriteError as error:
            return self.reject(raw, f"the database refused the record: {error}")
        if record is None:
            return Outcome.DUPLICATE
        if call.status == "offer" and call.direction == INCOMING and green_api is not None:
            self._notify_operator(call, record.caller_name, settings, green_api)
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

    def _record(
        self, call: CallNotification, label: str, settings: Config, green_api: GreenApi | None
    ) -> Record | None:
        """The record this delivery created, or None when an earlier delivery did."""
        lookup: NameLookup | None = None
        looked_up = False
        for _ in range(MAX_WRITE_ROUNDS):
            snapshot = self._store.load(call)
            if snapshot.record_exists:
                return None
            if not looked_up and needs_lookup(
                snapshot.chat, self._clock(), settings.contact_cache_ttl
            ):
                lookup = self._look_up(call.chat_id, settings, green_api)
                looked_up = True  # at most one GetContactInfo per notification, even on conflict
            plan = plan_write(call, label, snapshot, lookup, self._retention)
            try:
                self._store.save(plan)
            except WriteConflict:
                continue
            return plan.record
        raise StorageUnavailable(f"the chat kept changing under {MAX_WRITE_ROUNDS} writes")

    def _look_up(
        self, chat_id: str, settings: Config, green_api: GreenApi | None
    ) -> NameLookup | None:
        """The caller's name; None when it could not be learnt now (the next call tries again)."""
        if green_api is None:
            return None
        try:
            contact = green_api.get_contact_info(chat_id, budget=settings.lookup_budget)
        except Exception as error:  # a lookup never fails the notification
            log.warning("GetContactInfo failed: %s", error, extra={"event": "lookup.failed"})
            return None
        return NameLookup(contact.name, self._clock())

    def _notify_operator(
        self, call: CallNotification, name: str | None, settings: Config, green_api: GreenApi
    ) -> None:
        """Tell the instance's operator a call is ringing, through that instance. Only the
        delivery that created the record gets here, so a redelivered notification never sends
        a second notice."""
        if settings.mode is not Mode.ALL or not settings.operator_chat_id:
            return
        text = settings.operator_template.format(
            name=name or "", phone=call.phone or call.chat_id, chat_id=call.chat_id
        )
        try:
            # An unknown name leaves a double space behind: close it.
            green_api.send_message(settings.operator_chat_id, re.sub(" {2,}", " ", text).strip())
        except Exception as error:  # a failed notice is logged, never fails the notification
            log.warning("operator notice failed: %s", error, extra={"event": "operator.failed"})

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


def build_service(config: Config, clients: Clients | None = None) -> CallService:
    """The CallService the webhook and the poller run: the configured store, and each
    instance's GREEN-API client for names and notices (none for an instance without a token)."""
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
