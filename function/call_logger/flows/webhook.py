"""One notification (a call, an outgoing message, an instance state) in, one outcome out:
CallService, the flow the webhook and the poller run; flows/reconcile records the journal's
calls through it, so that a call is recorded one way whichever path brings it."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from call_logger.core import policy, replies, send_caps
from call_logger.core.envelope import OUTGOING_CALL, OUTGOING_MESSAGE_TYPES, notification_type
from call_logger.core.events import Announce
from call_logger.core.notification import (
    INCOMING,
    OUTGOING,
    CallNotification,
    Unrecordable,
    parse_call,
    parse_outgoing_message,
    parse_state,
    what_to_do,
)
from call_logger.core.outbox_plan import with_record_events, with_state_event
from call_logger.core.state_plan import plan_state
from call_logger.core.write_plan import (
    ChatState,
    NameLookup,
    Record,
    ReplyClaim,
    Snapshot,
    Source,
    expire_at,
    needs_lookup,
    plan_write,
    rejected_id,
    with_caps,
)
from call_logger.flows.names import link_lid, look_up
from call_logger.flows.outgoing_message import note_message
from call_logger.flows.shared import (
    Clients,
    Line,
    Outcome,
    no_clients,
    notify_operator,
    send_reply,
    warn_of_caps,
)
from call_logger.settings.config import Config, Mode
from call_logger.settings.limits import canonical_status
from call_logger.settings.logs import annotate
from call_logger.stores.base import (
    PermanentWriteError,
    Rejected,
    StorageUnavailable,
    Store,
    WriteConflict,
)
from call_logger.stores.factory import make_store

log = logging.getLogger(__name__)

# Decides whether to look the caller's name up, given the chat as read; returns the lookup.
NameSource = Callable[[CallNotification, ChatState | None], NameLookup | None]

# Concurrent notifications of one chat can each lose the conditional commit; a few rounds settle.
MAX_WRITE_ROUNDS = 8


@dataclass(frozen=True)
class CallService:
    """Records what one delivery brings, with the deployment's settings, its store and its
    GREEN-API clients; `clock` and `sleep` are the real ones but in tests."""

    config: Config
    store: Store
    clients: Clients = no_clients
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    source: Source = Source.WEBHOOK
    sleep: Callable[[float], None] = time.sleep

    @property
    def retention(self) -> timedelta | None:
        days = self.config.retention_days
        return timedelta(days=days) if days else None

    def now(self) -> datetime:
        return self.clock()

    def handle(self, body: dict[str, Any], raw: bytes) -> Outcome:
        """Record a call (incomingCall, outgoingCall) or note an outgoing message for call-back
        tracking; StorageUnavailable means: answer so that it is resent."""
        if notification_type(body) in OUTGOING_MESSAGE_TYPES:
            return self._outgoing_message(body)
        try:
            accepted = self.accept(body)
        except Unrecordable as error:
            return self.reject(body, raw, str(error))
        if accepted is None:
            return Outcome.SKIPPED
        call, label = accepted
        try:
            record = self.record(call, label, self.source, self._webhook_name)
        except PermanentWriteError as error:
            return self.reject(body, raw, f"the database refused the record: {error}")
        if record is None:
            return Outcome.DUPLICATE
        # Only the delivery that created the record gets here: no message is ever sent twice.
        # Replies and notices are about calls to the business, never about its own calls out.
        if call.direction == INCOMING:
            self.send_claimed_reply(call, record)
            if record.notice:  # claimed within OPERATOR_NOTIFY_MAX_PER_HOUR
                notify_operator(call, record, self._line(call.instance_id))
        return Outcome.RECORDED

    def _line(self, instance_id: int) -> Line:
        """Everything a call speaks for is its own instance's: its settings, its client."""
        return Line(self.config.settings_for(instance_id), self.clients(instance_id))

    def _announce(self, instance_id: int) -> Announce | None:
        """Events are written only for an instance with EVENTS_URL (its own, or the
        deployment's); they expire with the records."""
        if self.config.settings_for(instance_id).events is None:
            return None
        now = self.now()
        expires = expire_at(now, self.retention) if self.retention else None
        return Announce(self.config.instances.label_of(instance_id), now, expires)

    def _outgoing_message(self, body: dict[str, Any]) -> Outcome:
        """A message the business sent: it handles the chat's missed calls (CALLBACK_BY_MESSAGE),
        unless the product sent it itself. A chat that never called costs one blind write."""
        message = parse_outgoing_message(body)
        if not self.config.callback_by_message or message is None:
            return Outcome.SKIPPED
        cooldown = self.config.settings_for(message.instance_id).reply_cooldown
        try:
            announce = self._announce(message.instance_id)
            return note_message(self.store, message, cooldown, self.clock, self.sleep, announce)
        except PermanentWriteError as error:  # no resend can cure it; no call record is lost
            log.warning("outgoing message not noted: %s", error, extra={"event": "message_refused"})
            return Outcome.SKIPPED

    def record_state(self, body: dict[str, Any], raw: bytes) -> Outcome:
        """Make a stateInstanceChanged the instance's state unless a newer one is stored.
        StorageUnavailable means: answer so that it is resent."""
        annotate(event="instance.state")
        try:
            notification = parse_state(body)
        except Unrecordable as error:
            return self.reject(body, raw, str(error))
        annotate(state=notification.state, stateChangedAt=notification.changed_at.isoformat())
        for _ in range(MAX_WRITE_ROUNDS):
            stored = self.store.load_instance(notification.instance_id)
            write = plan_state(notification, stored)
            announce = self._announce(notification.instance_id)
            if write is not None and announce is not None:
                write = with_state_event(write, notification, stored, announce)
            if write is None:
                assert stored is not None  # nothing stored always gives a write
                same = (stored.state, stored.changed_at) == (
                    notification.state,
                    notification.changed_at,
                )
                annotate(storedState=stored.state)
                return Outcome.DUPLICATE if same else Outcome.OUTDATED
            try:
                self.store.save_instance(write)
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

    def accept(self, body: dict[str, Any]) -> tuple[CallNotification, str] | None:
        """The call and its label, None when the mode does not keep its status, Unrecordable
        when it can never be stored."""
        config = self.config
        status = body.get("status")
        direction = OUTGOING if notification_type(body) == OUTGOING_CALL else INCOMING
        # The mode is decided first: a skipped status is acknowledged even when malformed.
        if config.mode is Mode.IGNORE or (
            isinstance(status, str)
            and policy.label_key(config.mode, canonical_status(status), direction) is None
        ):
            return None
        call = parse_call(body)
        label = policy.label_for(config.mode, call.status, config.labels, call.direction)
        assert label is not None  # the status passed the mode check above
        return call, label

    def record(
        self,
        call: CallNotification,
        label: str,
        source: Source,
        name_of: NameSource,
        recorded_since: Callable[[ChatState | None], bool] | None = None,
    ) -> Record | None:
        """The record this delivery created, or None when an earlier delivery did (or, after a
        lost race, `recorded_since` finds the call recorded under another id meanwhile)."""
        lookup: NameLookup | None = None
        looked_up = False
        line = self._line(call.instance_id)
        sends = send_caps.wanted(
            line.green_api is not None and call.direction == INCOMING,
            line.settings.replies_configured and call.status in line.settings.reply_on,
            source is not Source.JOURNAL and replies.notifies_operator(line.settings, call),
        )
        log_keys = [send_caps.log_key(call.instance_id, kind) for kind in sends]
        for attempt in range(MAX_WRITE_ROUNDS):
            snapshot = self.store.load(call, log_keys)
            if snapshot.record_exists:
                return None
            if attempt > 0 and recorded_since is not None and recorded_since(snapshot.chat):
                return None  # the chat moved: a record of this call may have come meanwhile
            if not looked_up:
                lookup = name_of(call, snapshot.chat)
                looked_up = True  # at most one GetContactInfo per notification, even on conflict
            now = self.clock()
            reply = self._reply_claim(call, snapshot, now, lookup)
            caps = send_caps.decide_all(
                call.instance_id,
                sends,
                snapshot.send_logs,
                send_caps.limits(line.settings),
                bool(reply),
                now,
            )
            if send_caps.REPLY in caps and not caps[send_caps.REPLY].allowed:
                reply = None  # past MISSED_CALL_REPLY_MAX_PER_HOUR: the record says so
            plan = plan_write(call, label, snapshot, lookup, self.retention, source, reply)
            plan = with_caps(plan, caps)
            announce = self._announce(call.instance_id)
            if announce is not None:
                plan = with_record_events(plan, snapshot.chat, announce)
            try:
                self.store.save(plan)
            except WriteConflict:
                continue  # e.g. a concurrent call claimed the reply or a cap: decide again
            warn_of_caps(call.instance_id, caps.values())
            if lookup is not None and lookup.lid is not None:
                link_lid(self.store, call, lookup.lid, self.retention)
            return plan.record
        raise StorageUnavailable(f"the chat kept changing under {MAX_WRITE_ROUNDS} writes")

    def _reply_claim(
        self,
        call: CallNotification,
        snapshot: Snapshot,
        now: datetime,
        lookup: NameLookup | None = None,
    ) -> ReplyClaim | None:
        line = self._line(call.instance_id)
        if line.green_api is None or call.direction != INCOMING:
            return None  # a reply answers a call to the business, never one it made
        chat = snapshot.chat
        last_reply_at = chat.last_reply_at if chat else None
        template = replies.reply_template(line.settings, call, last_reply_at, now)
        linked_id = chat.linked_chat_id if chat else None
        linked_id = linked_id or (lookup.lid if lookup else None)
        if template is not None and linked_id is not None:
            # The same person under their other id may have had the reply: one cooldown.
            linked = self.store.load_chat(f"{call.instance_id}_{linked_id}")
            if linked is not None and linked.last_reply_at is not None:
                latest = max(linked.last_reply_at, last_reply_at or linked.last_reply_at)
                template = replies.reply_template(line.settings, call, latest, now)
        return None if template is None else ReplyClaim(template, now)

    def _webhook_name(self, call: CallNotification, chat: ChatState | None) -> NameLookup | None:
        """A delivery looks the name up once per CONTACT_CACHE_TTL per chat (and instance),
        through the call's own instance."""
        line = self._line(call.instance_id)
        if not needs_lookup(chat, self.clock(), line.settings.contact_cache_ttl):
            return None
        budget = line.settings.lookup_budget
        return look_up(line.green_api, call.chat_id, budget, chat, self.clock)

    def send_claimed_reply(self, call: CallNotification, record: Record) -> None:
        if call.direction == INCOMING and record.reply_text is not None:
            send_reply(self.store, call, record.reply_text, self._line(call.instance_id))

    def reject(self, body: object, raw: bytes, reason: str) -> Outcome:
        """Keep a notification that can never be recorded in `rejected`: its text as received
        (`raw`), under an id made from its content (`body`, parsed), so that the webhook and the
        poller, which receive one notification as different bytes, keep it once.
        StorageUnavailable means it was not kept (yet)."""
        text = raw.decode("utf-8", errors="replace")
        now = self.clock()
        expires = expire_at(now, self.retention) if self.retention else None
        # WriteConflict: an earlier delivery kept it, and receivedAt stays the first receipt.
        with contextlib.suppress(WriteConflict):
            self.store.keep_rejected(Rejected(rejected_id(body), text, reason, now, expires))
        annotate(reason=reason)  # on the line about this notification (the webhook's, the poller's)
        return Outcome.REJECTED


def build_service(
    config: Config,
    clients: Clients | None = None,
    source: Source = Source.WEBHOOK,
    store: Store | None = None,
) -> CallService:
    """The CallService the webhook, the poller and reconcile run: the configured store (or the
    caller's), and each instance's GREEN-API client for names, messages and the journal (none
    for an instance without a token)."""
    if clients is None:
        from call_logger.green_api import ClientPool

        clients = ClientPool(config.instances)
    return CallService(
        config, make_store(config) if store is None else store, clients, source=source
    )
