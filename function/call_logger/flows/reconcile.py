"""Reconcile: GREEN-API's call journal against the log. Every final status the journal lists and
the log lacks is recorded exactly as the webhook would have (through its CallService), with
source=journal; one report per instance and one log line per run."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from call_logger.core import journal
from call_logger.core.journal import JournalCall, LookupPacer, ReconcileReport, ReconcileRun
from call_logger.core.notification import CallNotification, Unrecordable
from call_logger.core.write_plan import ChatState, NameLookup, Source, needs_lookup
from call_logger.flows.names import look_up
from call_logger.flows.shared import Clients
from call_logger.flows.webhook import CallService, NameSource, build_service
from call_logger.settings.config import Config, ConfigError
from call_logger.stores.base import PermanentWriteError, StorageUnavailable, Store

log = logging.getLogger(__name__)

# Chats reconcile handles at once: its work is storage round trips, which overlap well.
RECONCILE_WORKERS = 8
# From this many journal entries missing by key, reconcile reads the records of their whole time
# span in one query for the time-window match, instead of one query per entry.
WINDOW_PRELOAD_AT = 50


def reconcile(
    service: CallService, since: timedelta, *, dry_run: bool, pacer: LookupPacer
) -> ReconcileReport:
    """Record every final status in GREEN-API's journal of the last `since` that the log
    lacks, exactly as its webhook would have. A failure of GREEN-API or storage stops the run
    and is in the report (what was added stays added; a rerun completes it)."""
    instance_id = service.config.instance_id
    assert instance_id is not None  # run_reconcile: one instance at a time
    green_api = service.clients(instance_id)
    assert green_api is not None
    report = ReconcileReport(instance_id, since, dry_run)
    try:
        entries = green_api.last_incoming_calls(journal.minutes_covering(since))
        report.journal = len(entries)
        report.truncated = len(entries) >= journal.JOURNAL_MAX
        _reconcile(service, entries, report, pacer)
    except StorageUnavailable as error:
        report.error = f"storage: {error}"
    except Exception as error:  # green_api.GreenApiError (not imported: requests)
        if type(error).__name__ != "GreenApiError":
            raise
        report.error = f"GREEN-API: {error}"
    log_reconcile(report)
    return report


@dataclass(frozen=True)
class _Wanted:
    """A journal entry reconcile may add: the call, its label, the entry as GREEN-API sent it."""

    call: JournalCall
    label: str
    entry: object


def _reconcile(
    service: CallService, entries: list[Any], report: ReconcileReport, pacer: LookupPacer
) -> None:
    assert service.config.instance_id is not None
    wanted: dict[tuple[str, str], _Wanted] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            _reject_entry(service, report, entry, "the journal entry is not a JSON object")
            continue
        try:
            accepted = service.accept(journal.as_notification(entry, service.config.instance_id))
        except Unrecordable as error:
            _reject_entry(service, report, entry, f"journal entry: {error}")
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
    existing = service.store.existing_records(list(wanted))
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
    matching = _matching(service)
    preloaded = _records_near_all(service, absent, matching)
    summaries: dict[str, dict[str, Any]] = {}
    if preloaded is None and absent:  # one read per 100 chats: which can hold a record near
        summaries = service.store.chat_summaries(absent)
    lock = threading.Lock()
    failed = threading.Event()

    def add_chat(chat_key: str, items: list[_Wanted]) -> None:
        calls = [item.call for item in items]
        if preloaded is not None:
            stored = preloaded.get(chat_key, [])
        else:
            stored = _chat_records_near(service, chat_key, calls, summaries.get(chat_key))
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
                added = _add_from_journal(service, item, report.dry_run, pacer, used)
            except PermanentWriteError as error:
                with lock:
                    _reject_entry(
                        service, report, item.entry, f"the database refused the record: {error}"
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


def _matching(service: CallService) -> journal.Matching:
    config = service.config
    return journal.Matching(config.reconcile_match_window, config.reconcile_max_call)


def _add_from_journal(
    service: CallService, item: _Wanted, dry_run: bool, pacer: LookupPacer, used: set[str]
) -> datetime | None:
    """Record one journal entry that no record answers for; the eventAt of the record added
    (or, in a dry run, that would be), None when a record of the call under another id came
    meanwhile (a webhook delivered during the run). `used`: the chat's records that answer for
    other entries, and those this run added."""
    call = item.call.call
    if dry_run:
        return call.event_at
    matching = _matching(service)

    def recorded_since(chat: ChatState | None) -> bool:
        start, end = matching.span(item.call)
        if not journal.may_have_nearby(chat.last_call_at if chat else None, start):
            return False
        stored = service.store.chat_records_between(call.chat_key, start, end)
        free = [fields for fields in stored if journal.record_key_of(fields) not in used]
        return bool(matching.assign([item.call], free))

    name_of = _journal_name(service, pacer)
    record = service.record(call, item.label, Source.JOURNAL, name_of, recorded_since)
    if record is None:
        return None
    used.add(call.record_key)
    # A fresh call the webhook never delivered still gets its reply (the reply's max age keeps a
    # backfill from greeting anyone hours later); operator notices are for calls as they ring,
    # so reconcile sends none.
    service.send_claimed_reply(call, record)
    return call.event_at


def _chat_records_near(
    service: CallService,
    chat_key: str,
    calls: list[JournalCall],
    summary: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The chat's records where they can be these calls (one query for all of them), none read
    when the chat's last call is older than that."""
    spans = [_matching(service).span(call) for call in calls]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    last_call_at = (summary or {}).get("lastCallAt")
    if not isinstance(last_call_at, datetime) or not journal.may_have_nearby(last_call_at, start):
        return []
    return service.store.chat_records_between(chat_key, start, end)


def _records_near_all(
    service: CallService, absent: dict[str, list[_Wanted]], matching: journal.Matching
) -> dict[str, list[dict[str, Any]]] | None:
    """With many absent entries, every record where they can be (from the longest call before
    the oldest to the window after the newest), read in one query and grouped by chat: one read
    instead of one per chat. None with a few: a query per chat reads less."""
    calls = [item.call for items in absent.values() for item in items]
    if len(calls) < WINDOW_PRELOAD_AT:
        return None
    spans = [matching.span(call) for call in calls]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    found: dict[str, list[dict[str, Any]]] = {}
    # Its own instance's records only (a run reconciles one instance).
    for fields in service.store.recent_records(start, None, service.config.instance_id):
        event_at = fields.get("eventAt")
        if isinstance(event_at, datetime) and event_at <= end:
            chat_key = f"{fields.get('instanceId')}_{fields.get('chatId')}"
            found.setdefault(chat_key, []).append(fields)
    return found


def _journal_name(service: CallService, pacer: LookupPacer) -> NameSource:
    """reconcile names a caller from the chat's cached name, else by a paced lookup."""

    def name_of(call: CallNotification, chat: ChatState | None) -> NameLookup | None:
        if chat is not None and chat.caller_name is not None:
            return None  # plan_write keeps the cached name
        if not needs_lookup(chat, service.now(), service.config.contact_cache_ttl):
            return None
        budget = pacer.slot(service.config.lookup_budget)
        green_api = service.clients(call.instance_id)
        if budget is None:
            return None
        return look_up(green_api, call.chat_id, budget, chat, service.now)

    return name_of


def _reject_entry(
    service: CallService, report: ReconcileReport, entry: object, reason: str
) -> None:
    report.rejected += 1
    if not report.dry_run:
        service.reject(entry, json.dumps(entry, ensure_ascii=False).encode(), reason)


def run_reconcile(config: Config, run: ReconcileRun) -> list[ReconcileReport]:
    """One reconcile run (the CLI and both scheduled entry points): every instance in turn,
    each as a deployment of one (its own client, journal and 1 request/s lookup pace), one
    report each. ConfigError when no instance has an id and a token."""
    instances = config.instances.with_token()
    if not instances:
        raise ConfigError("reconcile needs GREEN_API_ID_INSTANCE and GREEN_API_TOKEN")
    return [reconcile_instance(config.for_instance(instance.id), run) for instance in instances]


def reconcile_instance(
    config: Config, run: ReconcileRun, clients: Clients | None = None, store: Store | None = None
) -> ReconcileReport:
    """One instance's reconcile run, `config` its Config.for_instance (a scheduled task's), with
    the caller's GREEN-API clients and store when it has them (a task shares them with its state
    check and digest), else its own."""
    if clients is None:
        from call_logger.green_api import ClientPool  # requests: only for a run

        with contextlib.closing(ClientPool(config.instances)) as own:
            return reconcile_instance(config, run, own, store)
    assert config.instance_id is not None  # Config.for_instance
    try:
        service = build_service(config, clients, Source.JOURNAL, store)
    except StorageUnavailable as error:  # e.g. no credentials for Firestore
        report = ReconcileReport(config.instance_id, run.since, run.dry_run, error=str(error))
        log_reconcile(report)
        return report
    return reconcile(service, run.since, dry_run=run.dry_run, pacer=LookupPacer(run.lookup_budget))


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
