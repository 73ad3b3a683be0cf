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

from . import digest, report
from .config import Config
from .store import Store, WriteConflict

if TYPE_CHECKING:
    from .service import GreenApi

log = logging.getLogger(__name__)


def figures(
    store: Store,
    config: Config,
    since: datetime,
    until: datetime,
    instance_id: int | None = None,
) -> report.Figures:
    """The report for since..until, of one instance when `instance_id` is given (else of every
    record). StorageUnavailable while reading."""
    records = [
        fields
        for fields in store.recent_records(since, None, instance_id)
        if isinstance(fields.get("eventAt"), datetime) and fields["eventAt"] <= until
    ]
    # Only chats with a missed call can be waiting; their summaries say what handled them since.
    waiting_keys = {
        report.chat_key(fields)
        for fields in records
        if report.is_incoming(fields) and fields.get("status") not in ("offer", "pickUp")
    }
    chats = store.chat_summaries(waiting_keys)
    return report.compute(records, chats, since, until, config.timezone)


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
    repeated or concurrent run sends nothing (and a failed send is not retried: never twice).

    With several instances, each gets its own (`instance_id`): its calls only, its day claimed
    apart, and `config` and `green_api` are that instance's (Config.for_instance)."""
    now = now or datetime.now(UTC)
    zone = config.timezone
    day = day or digest.yesterday(now, zone)
    since, until = digest.day_bounds(day, zone)
    found = figures(store, config, since, until, instance_id)
    text = digest.text(found, day, now.astimezone(zone).date())
    if not send:
        return Digest(day, text, sent=False)
    if not config.operator_chat_id or green_api is None:
        raise ValueError(
            "sending needs OPERATOR_CHAT_ID, GREEN_API_ID_INSTANCE and GREEN_API_TOKEN"
        )
    try:
        store.claim_digest(claim_key(day, instance_id), now)
    except WriteConflict:
        return _sent_before(day, text)
    green_api.send_message(config.operator_chat_id, text, budget=config.lookup_budget)
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
