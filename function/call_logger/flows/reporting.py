"""The report and digest flows: read a window from the store, compute, and (digest) send once.

The only place that orchestrates them; the figures (report), the page (report_html) and the
digest's text (digest) are pure. Reads are bounded by the window: the records come from the
indexed `eventAt >= since` query `calls` uses, the chat summaries by key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from call_logger.core import digest, people, report
from call_logger.core.journal import Matching
from call_logger.settings.config import Config
from call_logger.stores.base import Store, WriteConflict

if TYPE_CHECKING:
    from call_logger.flows.shared import GreenApi

log = logging.getLogger(__name__)


def figures(
    store: Store,
    config: Config,
    since: datetime,
    until: datetime,
    instance_id: int | None = None,
    as_of: datetime | None = None,
) -> report.Figures:
    """The report for since..until, of one instance when `instance_id` is given (else of every
    record), call-backs counted up to `as_of` (default: until). StorageUnavailable while
    reading."""
    # Records after `until` too: a call-back after the window still ends a wait begun in it.
    records = [
        fields
        for fields in store.recent_records(since, None, instance_id)
        if isinstance(fields.get("eventAt"), datetime)
    ]
    # Only chats with a missed call can be waiting; their summaries say what handled them since.
    waiting_keys = {
        report.chat_key(fields)
        for fields in records
        if fields["eventAt"] <= until
        and report.is_incoming(fields)
        and fields.get("status") not in ("offer", "pickUp")
    }
    chats = store.chat_summaries(waiting_keys)
    # The same person's other chats (a lid's and a phone's), where a link is known: what handled
    # their calls may be noted there.
    linked = set(people.person_keys(chats)) | set(people.person_keys(chats).values())
    if linked - chats.keys():
        chats |= store.chat_summaries(linked - chats.keys())
    matching = Matching(config.reconcile_match_window, config.reconcile_max_call)
    return report.compute(
        records, chats, since, until, config.timezone, config.callback_target, as_of, matching
    )


@dataclass(frozen=True)
class Digest:
    day: date
    text: str
    sent: bool  # False: printed only, or an earlier run already sent this day's digest
    already_sent: bool = False


def run_digest(
    store: Store,
    config: Config,
    green_api: GreenApi | None,
    day: date | None = None,
    send: bool = False,
    now: datetime | None = None,
    instance_id: int | None = None,
) -> Digest:
    """The digest of `day` (default: yesterday in TIMEZONE); with `send`, sent to
    OPERATOR_CHAT_ID at most once per day: the day is claimed in storage before sending, so a
    repeated or concurrent run sends nothing. A send GREEN-API refused (an error answer)
    releases the claim for the next run; one that timed out is not retried (never twice).

    With several instances, each gets its own (`instance_id`): its calls only, its day claimed
    apart, and `config` and `green_api` are that instance's (Config.for_instance)."""
    now = now or datetime.now(UTC)
    zone = config.timezone
    day = day or digest.yesterday(now, zone)
    since, until = digest.day_bounds(day, zone)
    found = figures(store, config, since, until, instance_id, as_of=now)
    text = digest.text(found, day, now.astimezone(zone).date())
    if not send:
        return Digest(day, text, sent=False)
    if not config.operator_chat_id or green_api is None:
        raise ValueError(
            "sending needs OPERATOR_CHAT_ID, GREEN_API_ID_INSTANCE and GREEN_API_TOKEN"
        )
    claim = claim_key(day, instance_id)
    try:
        store.claim_digest(claim, now)
    except WriteConflict:
        return _sent_before(day, text)
    try:
        green_api.send_message(config.operator_chat_id, text, budget=config.lookup_budget)
    except Exception as error:
        # An error answer (HTTP status) means GREEN-API did not take it: release the day so the
        # next run sends it. A timeout may have been delivered: the claim stays (never twice).
        status = getattr(error, "status", None)
        if status is not None:
            store.release_digest(claim)
            log.warning(
                "digest of %s refused by GREEN-API; the next run sends it again",
                day,
                extra={"event": "digest.released", "greenApiStatus": status},
            )
        raise
    log.info("digest of %s sent", day, extra={"event": "digest_sent"})
    return Digest(day, text, sent=True)


def claim_key(day: date, instance_id: int | None) -> str:
    """The digest's claim: the day, and with several instances the instance."""
    return day.isoformat() if instance_id is None else f"{day.isoformat()}_{instance_id}"


def _sent_before(day: date, text: str = "") -> Digest:
    log.info("digest of %s was sent before", day, extra={"event": "digest_skipped"})
    return Digest(day, text, sent=False, already_sent=True)


def scheduled_digest(
    store: Store,
    config: Config,
    green_api: GreenApi | None,
    now: datetime | None = None,
    instance_id: int | None = None,
) -> Digest | None:
    """What a scheduled run does (every run, whatever its period): send yesterday's digest once
    DIGEST_TIME has passed today; None while it is not due or DIGEST_TIME is empty. With several
    instances, once per instance (`instance_id`, `config` its Config.for_instance)."""
    now = now or datetime.now(UTC)
    day = digest.due(now, config.digest_time, config.timezone)
    if day is None:
        return None
    # Every run after DIGEST_TIME asks: one that finds the day claimed reads none of its records.
    if store.digest_claimed(claim_key(day, instance_id)):
        return _sent_before(day)
    return run_digest(store, config, green_api, day, send=True, now=now, instance_id=instance_id)
