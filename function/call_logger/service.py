"""One call notification (or outgoing message) in, one outcome out: the only place that
orchestrates store and GREEN-API for them."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from . import journal, policy, replies
from .config import Config, ConfigError, Mode
from .envelope import OUTGOING_CALL, OUTGOING_MESSAGE_TYPES, canonical_status, notification_type
from .journal import JournalCall, LookupPacer, ReconcileReport
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

    def lid_of(self, chat_id: str, *, budget: float) -> str | None: ...

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
class _Wanted:
    """A journal entry reconcile may add: the call, its label, the entry as GREEN-API sent it."""

    call: JournalCall
    label: str
    entry: object


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
            line = self._line(call.instance_id)
            if line.green_api is not None and replies.notifies_operator(line.settings, call):
                self._notify_operator(call, record, line)
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
        if message.via_api and self._is_own_reply(message, chat):
            return Outcome.SKIPPED  # the missed-call reply: no call back by a person
        outcome = self._note_on(message.chat_key, chat, message.event_at)
        if chat.linked_chat_id is not None:
            # The same person under their other id (lid or phone): called back there too.
            linked_key = f"{message.instance_id}_{chat.linked_chat_id}"
            noted = self._note_on(linked_key, store.load_chat(linked_key), message.event_at)
            if noted is Outcome.RECORDED:
                outcome = noted
        return outcome

    def _note_on(self, chat_key: str, chat: ChatState | None, at: datetime) -> Outcome:
        """Note a message sent to the chat `at` on its summary (call-back tracking)."""
        store = self._store
        for _ in range(MAX_WRITE_ROUNDS):
            if chat is None:
                return Outcome.SKIPPED
            write = plan_outgoing_message(chat, at)
            if write is None:
                return Outcome.DUPLICATE  # an earlier or newer message is already counted
            try:
                store.save_chat(chat_key, write)
            except WriteConflict:
                chat = store.load_chat(chat_key)
                continue
            return Outcome.RECORDED
        raise StorageUnavailable(f"chat {chat_key} kept changing under {MAX_WRITE_ROUNDS} writes")

    def _is_own_reply(self, message: OutgoingMessage, chat: ChatState) -> bool:
        """Whether a message sent through the API is the product's own reply: the text of the
        reply claimed for the chat within its cooldown (no read), or a record of the chat holds
        its id. Right after a claim the id may not be noted yet (the webhook about the message
        can overtake the send's answer), so then it is looked for a few more times: counted as
        a person's call-back, the reply would mark the missed call handled."""
        cooldown = self._line(message.instance_id).settings.reply_cooldown
        if replies.is_sent_reply(message, chat.last_reply_digest, chat.last_reply_at, cooldown):
            return True
        chat_key, message_id = message.chat_key, message.message_id
        if self._store.is_reply(chat_key, message_id):
            return True
        last_reply_at = chat.last_reply_at
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
        recorded_since: Callable[[ChatState | None], bool] | None = None,
    ) -> Record | None:
        """The record this delivery created, or None when an earlier delivery did (or, after a
        lost race, `recorded_since` finds the call recorded under another id meanwhile)."""
        lookup: NameLookup | None = None
        looked_up = False
        for attempt in range(MAX_WRITE_ROUNDS):
            snapshot = self._store.load(call)
            if snapshot.record_exists:
                return None
            if attempt > 0 and recorded_since is not None and recorded_since(snapshot.chat):
                return None  # the chat moved: a record of this call may have come meanwhile
            if not looked_up:
                lookup = name_of(call, snapshot.chat)
                looked_up = True  # at most one GetContactInfo per notification, even on conflict
            reply = self._reply_claim(call, snapshot, self._clock(), lookup)
            plan = plan_write(call, label, snapshot, lookup, self._retention, source, reply)
            try:
                self._store.save(plan)
            except WriteConflict:
                continue  # e.g. a concurrent call from this chat claimed the reply: decide again
            if lookup is not None and lookup.lid is not None:
                self._link_lid(call, lookup.lid)
            return plan.record
        raise StorageUnavailable(f"the chat kept changing under {MAX_WRITE_ROUNDS} writes")

    def _link_lid(self, call: CallNotification, lid: str) -> None:
        """Note on the lid's chat that this phone chat is the same person (learnt with the
        caller's name); a failure only leaves the two unlinked until the next lookup."""
        expires = expire_at(call.event_at, self._retention) if self._retention else None
        try:
            self._store.link_person(
                f"{call.instance_id}_{lid}", call.instance_id, lid, call.chat_id, expires
            )
        except Exception as error:  # the record stands
            log.warning("could not link the lid: %s", error, extra={"event": "lookup.failed"})

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
            linked = self._store.load_chat(f"{call.instance_id}_{linked_id}")
            if linked is not None and linked.last_reply_at is not None:
                latest = max(linked.last_reply_at, last_reply_at or linked.last_reply_at)
                template = replies.reply_template(line.settings, call, latest, now)
        return None if template is None else ReplyClaim(template, now)

    def _webhook_name(self, call: CallNotification, chat: ChatState | None) -> NameLookup | None:
        """A delivery looks the name up once per CONTACT_CACHE_TTL per chat (and instance),
        through the call's own instance."""
        line = self._line(call.instance_id)
        if not needs_lookup(chat, self._clock(), line.settings.contact_cache_ttl):
            return None
        return self._look_up(line.green_api, call.chat_id, line.settings.lookup_budget, chat)

    def _look_up(
        self, green_api: GreenApi | None, chat_id: str, budget: float, chat: ChatState | None
    ) -> NameLookup | None:
        """The caller's name; None when it could not be learnt now (the next call tries again).
        With it, a phone chat not yet linked learns its lid (checkWhatsapp): one person whichever
        id WhatsApp gives."""
        if green_api is None:
            return None
        try:
            contact = green_api.get_contact_info(chat_id, budget=budget)
        except Exception as error:  # a lookup never fails the notification
            log.warning("GetContactInfo failed: %s", error, extra={"event": "lookup.failed"})
            return None
        lid = None
        if chat_id.endswith("@c.us") and (chat is None or chat.linked_chat_id is None):
            try:
                lid = green_api.lid_of(chat_id, budget=budget)
            except Exception as error:  # the two ids stay unlinked until the next lookup
                log.warning("checkWhatsapp failed: %s", error, extra={"event": "lookup.failed"})
        return NameLookup(contact.name, self._clock(), lid)

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
            report.truncated = len(entries) >= journal.JOURNAL_MAX
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
        wanted: dict[tuple[str, str], _Wanted] = {}
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
            wanted[key] = _Wanted(JournalCall(call, journal.duration_of(entry)), label, entry)
        existing = self._store.existing_records(list(wanted))
        report.already_recorded += len(existing)
        # Records found by key answer for their own entry and for no other.
        claimed: dict[str, set[str]] = {}
        for chat_key, record_key in existing:
            claimed.setdefault(chat_key, set()).add(record_key)
        # Absent keys by chat: chats are handled in parallel (each an RPC-bound sequence of a
        # window query and a read and a commit per entry), the entries of one chat together, so
        # that each of the chat's records answers for one entry at most.
        absent: dict[str, list[_Wanted]] = {}
        for key, item in wanted.items():
            if key not in existing:
                absent.setdefault(key[0], []).append(item)
        matching = self._matching()
        preloaded = self._records_near_all(absent, matching)
        summaries = {}
        if preloaded is None and absent:  # one read per 100 chats: which can hold a record near
            summaries = self._store.chat_summaries(absent)
        lock = threading.Lock()
        failed = threading.Event()

        def add_chat(chat_key: str, items: list[_Wanted]) -> None:
            calls = [item.call for item in items]
            if preloaded is not None:
                stored = preloaded.get(chat_key, [])
            else:
                stored = self._chat_records_near(chat_key, calls, summaries.get(chat_key))
            taken = claimed.get(chat_key, set())
            free = [fields for fields in stored if journal.record_key_of(fields) not in taken]
            answered = matching.assign(calls, free)
            used = {journal.record_key_of(free[j]) for j in answered.values()}
            for index, item in enumerate(items):
                if failed.is_set():
                    return
                if index in answered:
                    with lock:
                        report.already_recorded += 1
                    continue
                try:
                    added = self._add_from_journal(item, report.dry_run, pacer, used)
                except PermanentWriteError as error:
                    with lock:
                        self._reject_entry(
                            report, item.entry, f"the database refused the record: {error}"
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
            futures = [pool.submit(add_chat, key, items) for key, items in absent.items()]
        for future in futures:
            future.result()  # the first failure (StorageUnavailable) ends the run

    def _matching(self) -> journal.Matching:
        config = self._config
        return journal.Matching(config.reconcile_match_window, config.reconcile_max_call)

    def _add_from_journal(
        self, item: _Wanted, dry_run: bool, pacer: LookupPacer, used: set[str]
    ) -> datetime | None:
        """Record one journal entry that no record answers for; the eventAt of the record added
        (or, in a dry run, that would be), None when a record of the call under another id came
        meanwhile (a webhook delivered during the run). `used`: the chat's records that answer
        for other entries, and those this run added."""
        call = item.call.call
        if dry_run:
            return call.event_at
        matching = self._matching()

        def recorded_since(chat: ChatState | None) -> bool:
            start, end = matching.span(item.call)
            if not journal.may_have_nearby(chat.last_call_at if chat else None, start):
                return False
            stored = self._store.chat_records_between(call.chat_key, start, end)
            free = [fields for fields in stored if journal.record_key_of(fields) not in used]
            return bool(matching.assign([item.call], free))

        name_of = self._journal_name(pacer)
        record = self._record(call, item.label, Source.JOURNAL, name_of, recorded_since)
        if record is None:
            return None
        used.add(call.record_key)
        # A fresh call the webhook never delivered still gets its reply (the reply's max age
        # keeps a backfill from greeting anyone hours later); operator notices are for calls
        # as they ring, so reconcile sends none.
        self._send_claimed_reply(call, record)
        return call.event_at

    def _chat_records_near(
        self, chat_key: str, calls: list[JournalCall], summary: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        """The chat's records where they can be these calls (one query for all of them), none
        read when the chat's last call is older than that."""
        spans = [self._matching().span(call) for call in calls]
        start, end = min(s for s, _ in spans), max(e for _, e in spans)
        last_call_at = (summary or {}).get("lastCallAt")
        if not isinstance(last_call_at, datetime) or not journal.may_have_nearby(
            last_call_at, start
        ):
            return []
        return self._store.chat_records_between(chat_key, start, end)

    def _records_near_all(
        self, absent: dict[str, list[_Wanted]], matching: journal.Matching
    ) -> dict[str, list[dict[str, Any]]] | None:
        """With many absent entries, every record where they can be (from the longest call
        before the oldest to the window after the newest), read in one query and grouped by
        chat: one read instead of one per chat. None with a few: a query per chat reads less."""
        calls = [item.call for items in absent.values() for item in items]
        if len(calls) < WINDOW_PRELOAD_AT:
            return None
        spans = [matching.span(call) for call in calls]
        start, end = min(s for s, _ in spans), max(e for _, e in spans)
        found: dict[str, list[dict[str, Any]]] = {}
        for fields in self._store.recent_records(start, None):
            event_at = fields.get("eventAt")
            if isinstance(event_at, datetime) and event_at <= end:
                chat_key = f"{fields.get('instanceId')}_{fields.get('chatId')}"
                found.setdefault(chat_key, []).append(fields)
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
            if budget is None:
                return None
            return self._look_up(green_api, call.chat_id, budget, chat)

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
        _reconcile_instance(config.for_instance(instance.id), since, dry_run, lookup_budget)
        for instance in instances
    ]


def _reconcile_instance(
    config: Config, since: timedelta, dry_run: bool, lookup_budget: float
) -> ReconcileReport:
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
    if report.truncated:
        level = logging.WARNING  # the summary says older calls may be cut off
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
