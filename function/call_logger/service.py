"""One call notification (or outgoing message) in, one outcome out: the only place that
orchestrates store and GREEN-API for them."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from . import journal, policy, replies, send_caps
from .config import Config, ConfigError, Mode
from .envelope import OUTGOING_CALL, OUTGOING_MESSAGE_TYPES, canonical_status, notification_type
from .journal import LookupPacer, ReconcileReport
from .logs import annotate
from .notification import (
    INCOMING,
    OUTGOING,
    CallNotification,
    OutgoingMessage,
    Unrecordable,
    parse_call,
    parse_outgoing_message,
    parse_state,
    what_to_do,
)
from .store import PermanentWriteError, StorageUnavailable, Store, WriteConflict, make_store
from .write_plan import (
    ChatState,
    NameLookup,
    Record,
    ReplyClaim,
    Snapshot,
    Source,
    expire_at,
    needs_lookup,
    plan_outgoing_message,
    plan_state,
    plan_write,
    rejected_id,
    with_caps,
)

log = logging.getLogger(__name__)

# Concurrent notifications of one chat can each lose the conditional commit; a few rounds settle.
MAX_WRITE_ROUNDS = 8
# GREEN-API's answer to a send beyond the plan's quota (the Developer plan's 3 chats a month).
QUOTA_EXCEEDED = 466
# Chats reconcile handles at once: its work is storage round trips, which overlap well.
RECONCILE_WORKERS = 8
# From this many journal entries missing by key, reconcile reads the records of their whole time
# span in one query for the time-window match, instead of one query per entry.
WINDOW_PRELOAD_AT = 50
# Pauses (s) between looks for the replyId of a reply still being sent (replies.REPLY_NOTE_WINDOW):
# together longer than a send within CONTACT_LOOKUP_BUDGET's default and the note after it.
REPLY_NOTE_WAITS = (0.25, 0.5, 1.0, 2.0)


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
    """The GREEN-API methods the service uses (green_api.GreenApiClient provides them)."""

    def get_contact_info(self, chat_id: str, *, budget: float) -> Contact: ...

    def send_message(self, chat_id: str, message: str, *, budget: float) -> Any: ...

    def last_incoming_calls(self, minutes: int) -> list[Any]: ...


# Decides whether to look the caller's name up, given the chat as read; returns the lookup.
NameSource = Callable[[CallNotification, ChatState | None], NameLookup | None]

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
        source: Source = Source.WEBHOOK,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        self._store = store
        self._clients = clients
        self._clock = clock
        self._source = source
        self._sleep = sleep
        days = config.retention_days
        self._retention = timedelta(days=days) if days else None

    def handle(self, body: dict[str, Any], raw: bytes) -> Outcome:
        """Record a call (incomingCall, outgoingCall) or note an outgoing message for call-back
        tracking; StorageUnavailable means: answer so that it is resent."""
        if notification_type(body) in OUTGOING_MESSAGE_TYPES:
            return self._outgoing_message(body)
        try:
            accepted = self._accept(body)
        except Unrecordable as error:
            return self.reject(body, raw, str(error))
        if accepted is None:
            return Outcome.SKIPPED
        call, label = accepted
        try:
            record = self._record(call, label, self._source, self._webhook_name)
        except PermanentWriteError as error:
            return self.reject(body, raw, f"the database refused the record: {error}")
        if record is None:
            return Outcome.DUPLICATE
        # Only the delivery that created the record gets here: no message is ever sent twice.
        # Replies and notices are about calls to the business, never about its own calls out.
        if call.direction == INCOMING:
            self._send_claimed_reply(call, record)
            if record.notice:  # claimed within OPERATOR_NOTIFY_MAX_PER_HOUR
                self._notify_operator(call, record, self._line(call.instance_id))
        return Outcome.RECORDED

    def _line(self, instance_id: int) -> _Line:
        """Everything a call speaks for is its own instance's: its settings, its client."""
        return _Line(self._config.settings_for(instance_id), self._clients(instance_id))

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
        chat = store.load_chat(message.chat_key)
        if chat is None:
            return Outcome.SKIPPED
        if message.via_api and self._is_own_reply(message, chat.last_reply_at):
            return Outcome.SKIPPED  # the missed-call reply: no call back by a person
        for _ in range(MAX_WRITE_ROUNDS):
            write = plan_outgoing_message(chat, message.event_at)
            if write is None:
                return Outcome.DUPLICATE  # an earlier or newer message is already counted
            try:
                store.save_chat(message.chat_key, write)
            except WriteConflict:
                chat = store.load_chat(message.chat_key)
                if chat is None:
                    return Outcome.SKIPPED
                continue
            return Outcome.RECORDED
        raise StorageUnavailable(
            f"chat {message.chat_key} kept changing under {MAX_WRITE_ROUNDS} writes"
        )

    def _is_own_reply(self, message: OutgoingMessage, last_reply_at: datetime | None) -> bool:
        """Whether a message sent through the API is the product's own reply: a record of the
        chat holds its id. Right after a claim the id may not be noted yet (the webhook about
        the message can overtake the send's answer), so then it is looked for a few more times:
        counted as a person's call-back, the reply would mark the missed call handled."""
        chat_key, message_id = message.chat_key, message.message_id
        if self._store.is_reply(chat_key, message_id):
            return True
        if not replies.reply_may_be_unnoted(last_reply_at, self._clock()):
            return False
        for pause in REPLY_NOTE_WAITS:
            self._sleep(pause)
            if self._store.is_reply(chat_key, message_id):
                return True
        return False

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

    def _accept(self, body: dict[str, Any]) -> tuple[CallNotification, str] | None:
        """The call and its label, None when the mode does not keep its status, Unrecordable
        when it can never be stored."""
        config = self._config
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

    def _record(
        self,
        call: CallNotification,
        label: str,
        source: Source,
        name_of: NameSource,
        window: float | None = None,
        known: list[dict[str, Any]] | None = None,
    ) -> Record | None:
        """The record this delivery created, or None when an earlier delivery did (or, with a
        `window`, a record of the same call under another id exists: in `known`, the chat's
        records as the run read them, else as the store has them now)."""
        lookup: NameLookup | None = None
        looked_up = False
        sends = self._sends_wanted(call, source)
        log_keys = [send_caps.log_key(call.instance_id, kind) for kind in sends]
        for attempt in range(MAX_WRITE_ROUNDS):
            snapshot = self._store.load(call, log_keys)
            if snapshot.record_exists:
                return None
            if window is not None and journal.may_have_nearby(snapshot.chat, call, window):
                # After a lost race the chat moved: ask the store, not the run's earlier read.
                records = known if known is not None and attempt == 0 else None
                if records is None:
                    records = self._chat_records_near(call, window)
                if journal.matches(call, records, window):
                    return None
            if not looked_up:
                lookup = name_of(call, snapshot.chat)
                looked_up = True  # at most one GetContactInfo per notification, even on conflict
            now = self._clock()
            reply = self._reply_claim(call, snapshot, now)
            caps = self._cap_decisions(call, snapshot, sends, reply is not None, now)
            if send_caps.REPLY in caps and not caps[send_caps.REPLY].allowed:
                reply = None  # past MISSED_CALL_REPLY_MAX_PER_HOUR: the record says so
            plan = plan_write(call, label, snapshot, lookup, self._retention, source, reply)
            plan = with_caps(plan, caps)
            try:
                self._store.save(plan)
            except WriteConflict:
                continue  # e.g. a concurrent call claimed the reply or a cap: decide again
            _warn_of_caps(call.instance_id, caps.values())
            return plan.record
        raise StorageUnavailable(f"the chat kept changing under {MAX_WRITE_ROUNDS} writes")

    def _reply_claim(
        self, call: CallNotification, snapshot: Snapshot, now: datetime
    ) -> ReplyClaim | None:
        line = self._line(call.instance_id)
        if line.green_api is None or call.direction != INCOMING:
            return None  # a reply answers a call to the business, never one it made
        last_reply_at = snapshot.chat.last_reply_at if snapshot.chat else None
        template = replies.reply_template(line.settings, call, last_reply_at, now)
        return None if template is None else ReplyClaim(template, now)

    def _sends_wanted(self, call: CallNotification, source: Source) -> tuple[str, ...]:
        """The messages this call may send (send_caps kinds), whose send logs the load reads:
        a reply to a call to the business, a notice as it rings (reconcile sends none)."""
        line = self._line(call.instance_id)
        if line.green_api is None or call.direction != INCOMING:
            return ()
        settings = line.settings
        reply = settings.replies_configured and call.status in settings.reply_on
        notice = source is not Source.JOURNAL and replies.notifies_operator(settings, call)
        return (send_caps.REPLY,) * reply + (send_caps.NOTICE,) * notice

    def _cap_decisions(
        self,
        call: CallNotification,
        snapshot: Snapshot,
        sends: tuple[str, ...],
        replying: bool,
        now: datetime,
    ) -> dict[str, send_caps.CapDecision]:
        """Each wanted message against its instance's cap: the reply only when one is claimed
        (the cooldown, its age and the hours allow it), the notice whenever it is wanted."""
        settings = self._line(call.instance_id).settings
        limits = {
            send_caps.REPLY: settings.reply_max_per_hour,
            send_caps.NOTICE: settings.notify_max_per_hour,
        }
        return {
            kind: send_caps.decide(
                call.instance_id,
                kind,
                snapshot.send_logs.get(send_caps.log_key(call.instance_id, kind)),
                limits[kind],
                now,
            )
            for kind in sends
            if kind != send_caps.REPLY or replying
        }

    def _webhook_name(self, call: CallNotification, chat: ChatState | None) -> NameLookup | None:
        """A delivery looks the name up once per CONTACT_CACHE_TTL per chat (and instance),
        through the call's own instance."""
        line = self._line(call.instance_id)
        if not needs_lookup(chat, self._clock(), line.settings.contact_cache_ttl):
            return None
        return self._look_up(line.green_api, call.chat_id, line.settings.lookup_budget)

    def _look_up(
        self, green_api: GreenApi | None, chat_id: str, budget: float
    ) -> NameLookup | None:
        """The caller's name; None when it could not be learnt now (the next call tries again)."""
        if green_api is None:
            return None
        try:
            contact = green_api.get_contact_info(chat_id, budget=budget)
        except Exception as error:  # a lookup never fails the notification
            log.warning("GetContactInfo failed: %s", error, extra={"event": "lookup.failed"})
            return None
        return NameLookup(contact.name, self._clock())

    def _send_claimed_reply(self, call: CallNotification, record: Record) -> None:
        if call.direction == INCOMING and record.reply_text is not None:
            self._reply(call, record.reply_text, self._line(call.instance_id))

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

    # -- reconcile: the journal against the log -------------------------------------------------

    def reconcile(self, since: timedelta, *, dry_run: bool, pacer: LookupPacer) -> ReconcileReport:
        """Record every final status in GREEN-API's journal of the last `since` that the log
        lacks, exactly as its webhook would have. A failure of GREEN-API or storage stops the run
        and is in the report (what was added stays added; a rerun completes it)."""
        instance_id = self._config.instance_id
        assert instance_id is not None  # run_reconcile: one instance at a time
        green_api = self._clients(instance_id)
        assert green_api is not None
        report = ReconcileReport(instance_id, since, dry_run)
        try:
            entries = green_api.last_incoming_calls(journal.minutes_covering(since))
            report.journal = len(entries)
            self._reconcile(entries, report, pacer)
        except StorageUnavailable as error:
            report.error = f"storage: {error}"
        except Exception as error:  # green_api.GreenApiError (not imported: requests)
            if type(error).__name__ != "GreenApiError":
                raise
            report.error = f"GREEN-API: {error}"
        log_reconcile(report)
        return report

    def _reconcile(self, entries: list[Any], report: ReconcileReport, pacer: LookupPacer) -> None:
        assert self._config.instance_id is not None
        wanted: dict[tuple[str, str], tuple[CallNotification, str, object]] = {}
        for entry in entries:
            if not isinstance(entry, dict):
                self._reject_entry(report, entry, "the journal entry is not a JSON object")
                continue
            try:
                accepted = self._accept(journal.as_notification(entry, self._config.instance_id))
            except Unrecordable as error:
                self._reject_entry(report, entry, f"journal entry: {error}")
                continue
            if accepted is None:
                report.skipped += 1
                continue
            call, label = accepted
            key = (call.chat_key, call.record_key)
            if key in wanted:  # the journal listed it twice
                report.already_recorded += 1
                continue
            wanted[key] = (call, label, entry)
        existing = self._store.existing_records(list(wanted))
        report.already_recorded += len(existing)
        # Absent keys by chat: chats are handled in parallel (each an RPC-bound sequence of a
        # read, a window query and a commit), the entries of one chat in order, so that an entry
        # sees the records added for the entries before it.
        absent: dict[str, list[tuple[CallNotification, str, object]]] = {}
        for key, item in wanted.items():
            if key not in existing:
                absent.setdefault(item[0].chat_key, []).append(item)
        window = self._config.reconcile_match_window.total_seconds()
        preloaded = self._records_near_all(absent, window)
        lock = threading.Lock()
        failed = threading.Event()

        def add_chat(items: list[tuple[CallNotification, str, object]]) -> None:
            chat_key = items[0][0].chat_key
            # The chat's records as read by the run (None: ask the store per entry), with the
            # records this run adds (or, in a dry run, would add) appended as it goes.
            known = None if preloaded is None else preloaded.get(chat_key, [])
            pending: list[dict[str, Any]] = [] if known is None else known
            for call, label, entry in items:
                if failed.is_set():
                    return
                try:
                    added = self._add_from_journal(
                        call, label, report.dry_run, pacer, known, pending
                    )
                except PermanentWriteError as error:
                    with lock:
                        self._reject_entry(
                            report, entry, f"the database refused the record: {error}"
                        )
                    continue
                except BaseException:
                    failed.set()  # the other chats stop at their next entry
                    raise
                with lock:
                    if added is None:
                        report.already_recorded += 1
                    else:
                        report.count_added(added)

        from concurrent.futures import ThreadPoolExecutor  # reconcile only, not the webhook

        with ThreadPoolExecutor(RECONCILE_WORKERS, thread_name_prefix="reconcile") as pool:
            futures = [pool.submit(add_chat, items) for items in absent.values()]
        for future in futures:
            future.result()  # the first failure (StorageUnavailable) ends the run

    def _add_from_journal(
        self,
        call: CallNotification,
        label: str,
        dry_run: bool,
        pacer: LookupPacer,
        known: list[dict[str, Any]] | None,
        pending: list[dict[str, Any]],
    ) -> datetime | None:
        """Record one journal entry whose key is absent; the eventAt of the record added (or, in
        a dry run, that would be), None when the call is already recorded under another id
        (the webhook's idMessage may differ from the journal's)."""
        window = self._config.reconcile_match_window.total_seconds()
        if dry_run:
            stored = [] if known is not None else self._chat_records_near(call, window)
            if journal.matches(call, [*stored, *pending], window):
                return None
        else:
            record = self._record(
                call, label, Source.JOURNAL, self._journal_name(pacer), window, known
            )
            if record is None:
                return None
            # A fresh call the webhook never delivered still gets its reply (the reply's max age
            # keeps a backfill from greeting anyone hours later); operator notices are for calls
            # as they ring, so reconcile sends none.
            self._send_claimed_reply(call, record)
        pending.append({"status": call.status, "eventAt": call.event_at})
        return call.event_at

    def _chat_records_near(self, call: CallNotification, window: float) -> list[dict[str, Any]]:
        delta = timedelta(seconds=window)
        return self._store.chat_records_between(
            call.chat_key, call.event_at - delta, call.event_at + delta
        )

    def _records_near_all(
        self, absent: dict[str, list[tuple[CallNotification, str, object]]], window: float
    ) -> dict[str, list[dict[str, Any]]] | None:
        """With many absent entries, every record in their time span (and the window around
        it), read in one query and grouped by chat: one read instead of one per entry. None
        with a few: a query per entry reads less."""
        calls = [call for items in absent.values() for call, _, _ in items]
        if len(calls) < WINDOW_PRELOAD_AT:
            return None
        delta = timedelta(seconds=window)
        start = min(call.event_at for call in calls) - delta
        end = max(call.event_at for call in calls) + delta
        found: dict[str, list[dict[str, Any]]] = {}
        for fields in self._store.recent_records(start, None, self._config.instance_id):
            event_at = fields.get("eventAt")
            if isinstance(event_at, datetime) and event_at <= end:
                chat_key = f"{fields.get('instanceId')}_{fields.get('chatId')}"
                found.setdefault(chat_key, []).append(
                    {"status": fields.get("status"), "eventAt": event_at}
                )
        return found

    def _journal_name(self, pacer: LookupPacer) -> NameSource:
        """reconcile names a caller from the chat's cached name, else by a paced lookup."""

        def name_of(call: CallNotification, chat: ChatState | None) -> NameLookup | None:
            if chat is not None and chat.caller_name is not None:
                return None  # plan_write keeps the cached name
            if not needs_lookup(chat, self._clock(), self._config.contact_cache_ttl):
                return None
            budget = pacer.slot(self._config.lookup_budget)
            green_api = self._clients(call.instance_id)
            return None if budget is None else self._look_up(green_api, call.chat_id, budget)

        return name_of

    def _reject_entry(self, report: ReconcileReport, entry: object, reason: str) -> None:
        report.rejected += 1
        if not report.dry_run:
            self.reject(entry, json.dumps(entry, ensure_ascii=False).encode(), reason)

    def reject(self, body: object, raw: bytes, reason: str) -> Outcome:
        """Keep a notification that can never be recorded in `rejected`: its text as received
        (`raw`), under an id made from its content (`body`, parsed), so that the webhook and the
        poller, which receive one notification as different bytes, keep it once.
        StorageUnavailable means it was not kept (yet)."""
        text = raw.decode("utf-8", errors="replace")
        now = self._clock()
        expires = expire_at(now, self._retention) if self._retention else None
        # WriteConflict: an earlier delivery kept it, and receivedAt stays the first receipt.
        with contextlib.suppress(WriteConflict):
            self._store.keep_rejected(rejected_id(body), text, reason, now, expires)
        annotate(reason=reason)  # on the line about this notification (the webhook's, the poller's)
        return Outcome.REJECTED


def _warn_of_caps(instance_id: int, decisions: Iterable[send_caps.CapDecision]) -> None:
    """The WARNING that names a cap, once an hour per instance and kind (send_caps)."""
    for decision in decisions:
        if decision.warn:
            log.warning(
                "%s reached for instance %s: no more such messages this hour",
                decision.setting,
                instance_id,
                extra={"event": "send.capped", "cap": decision.setting, "instance": instance_id},
            )


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


def build_service(
    config: Config, clients: Clients | None = None, source: Source = Source.WEBHOOK
) -> CallService:
    """The CallService the webhook, the poller and reconcile run: the configured store, and
    each instance's GREEN-API client for names, messages and the journal (none for an instance
    without a token)."""
    if clients is None:
        from .green_api import ClientPool

        clients = ClientPool(config.instances)
    return CallService(config, make_store(config), clients, source=source)


def run_reconcile(
    config: Config, since: timedelta, *, dry_run: bool = False, lookup_budget: float = 60.0
) -> list[ReconcileReport]:
    """One reconcile run (the CLI and both scheduled entry points): every instance in turn,
    each as a deployment of one (its own client, journal and 1 request/s lookup pace), one
    report each. ConfigError when no instance has an id and a token."""
    instances = config.instances.with_token()
    if not instances:
        raise ConfigError("reconcile needs GREEN_API_ID_INSTANCE and GREEN_API_TOKEN")
    return [
        reconcile_instance(config.for_instance(instance.id), since, dry_run, lookup_budget)
        for instance in instances
    ]


def reconcile_instance(
    config: Config, since: timedelta, dry_run: bool, lookup_budget: float
) -> ReconcileReport:
    """One instance's reconcile run, `config` its Config.for_instance (a scheduled task's)."""
    from .green_api import ClientPool

    assert config.instance_id is not None  # Config.for_instance
    with contextlib.closing(ClientPool(config.instances)) as clients:
        try:
            service = build_service(config, clients, Source.JOURNAL)
        except StorageUnavailable as error:  # e.g. no credentials for Firestore
            report = ReconcileReport(config.instance_id, since, dry_run, error=str(error))
            log_reconcile(report)
            return report
        return service.reconcile(since, dry_run=dry_run, pacer=LookupPacer(lookup_budget))


def log_reconcile(report: ReconcileReport) -> None:
    """The run's one log line, with the counts as fields (issue 13's alert keys on the event)."""
    if report.missing_calls:
        event, level = "reconcile.missing_calls", logging.WARNING
    else:
        event, level = "reconcile.run", logging.INFO
    if report.error is not None:
        level = logging.ERROR
    fields = {name: value for name, value in report.counts().items() if name != "error"}
    log.log(
        level,
        "reconcile: %s",
        report.summary(),
        extra={
            "event": event,
            "instance": report.instance_id,
            "since_seconds": int(report.since.total_seconds()),
            "reconcile_error": report.error,
            **fields,
        },
    )
