"""An event from the outbox to its instance's EVENTS_URL: one attempt, signed, and what its
answer leaves behind (docs/events.md).

The database's change stream starts a delivery per new outbox document (an Eventarc trigger on
Google Cloud, DynamoDB Streams on AWS); `events deliver` runs the same for every pending one
(locally, and in the tests). A receiver that takes the event (2xx) has its outbox document
removed; one that does not answer, or answers otherwise, gets DeliveryFailed raised, so the
platform tries again with backoff, until a day after the first attempt, when the event is
marked failed and kept for `events list --failed`. A 410 Gone stops delivery to that receiver.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from call_logger.core.events import (
    ATTEMPTS,
    FAILED,
    FIRST_ATTEMPT_AT,
    LAST_ERROR,
    STATE,
    Verdict,
    is_failed,
    signature_headers,
    verdict,
)
from call_logger.settings.config import Config, ConfigError
from call_logger.stores.base import Outbox

log = logging.getLogger(__name__)

# One attempt waits this long for the receiver's answer (Standard Webhooks suggests 15 s at
# most); the delivery function's own timeout is longer.
ATTEMPT_TIMEOUT = 10.0

# url, body, headers, timeout -> the HTTP status; an exception: no answer.
Post = Callable[[str, str, dict[str, str], float], int]


class DeliveryFailed(Exception):
    """The receiver did not take the event now: the platform tries again later."""


def receiver_key(url: str) -> str:
    """A receiver's document id: its URL's hash (a URL may hold a credential)."""
    return hashlib.sha256(url.encode("utf-8", errors="surrogatepass")).hexdigest()


def post_with_requests() -> Post:
    """A POST over one keep-alive session (requests: loaded only by the delivery)."""
    import requests

    session = requests.Session()

    def post(url: str, body: str, headers: dict[str, str], timeout: float) -> int:
        answer = session.post(url, data=body.encode(), headers=headers, timeout=timeout)
        answer.close()
        return answer.status_code

    return post


def deliver(
    config: Config,
    outbox: Outbox,
    event_id: str,
    post: Post,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Verdict | None:
    """One attempt at the event; None when there is nothing to deliver (delivered already, or
    given up). DeliveryFailed when it should be tried again; ConfigError when the instance has
    no EVENTS_SECRET to sign with (the event stays, for a delivery with the setting fixed)."""
    fields = outbox.outbox_event(event_id)
    if fields is None or fields.get(STATE) == FAILED:
        return None
    instance_id = int(fields["instanceId"])
    context = {"event": "event.delivery", "eventId": event_id, "eventType": fields.get("type")}
    receiver = config.settings_for(instance_id).events
    now = clock()
    if receiver is None:
        _give_up(outbox, event_id, now, "the instance has no EVENTS_URL now")
        log.error(
            "event not delivered: instance %s has no EVENTS_URL now", instance_id, extra=context
        )
        return Verdict.FAILED
    if not receiver.secret:  # loud, and the event waits: a fixed setting delivers it
        raise ConfigError(f"EVENTS_URL of instance {instance_id} needs EVENTS_SECRET (whsec_...)")
    key = receiver_key(receiver.url)
    if outbox.receiver_gone(key):
        _give_up(outbox, event_id, now, "the receiver answered 410 Gone before")
        log.warning("event not sent: its receiver answered 410 Gone before", extra=context)
        return Verdict.GONE
    headers = signature_headers(receiver.secret, event_id, fields["body"], now)
    try:
        status: int | None = post(receiver.url, fields["body"], headers, ATTEMPT_TIMEOUT)
        error = f"HTTP {status}"
    except Exception as failure:  # no answer in time, refused, reset: the receiver may recover
        status, error = None, f"no answer: {type(failure).__name__}"
    first = fields.get(FIRST_ATTEMPT_AT) or now
    result = verdict(status, first, now)
    context |= {"eventStatus": status, "attempts": int(fields.get(ATTEMPTS, 0)) + 1}
    if result is Verdict.DELIVERED:
        outbox.remove_event(event_id)
        log.info("event delivered", extra=context)
    elif result is Verdict.GONE:
        outbox.mark_receiver_gone(key, now)
        _give_up(outbox, event_id, now, error, fields)
        log.error(
            "the events receiver of instance %s answered 410 Gone: no more events are sent"
            " to it (a new EVENTS_URL starts again)",
            instance_id,
            extra=context,
        )
    elif result is Verdict.FAILED:
        _give_up(outbox, event_id, now, error, fields)
        log.error("event given up after a day of retries: %s", error, extra=context)
    else:
        outbox.note_attempt(event_id, _attempt(fields, first, now, error))
        log.warning("event not taken, to be retried: %s", error, extra=context)
        raise DeliveryFailed(error)
    return result


def _attempt(fields: dict[str, Any], first: datetime, now: datetime, error: str) -> dict[str, Any]:
    return {
        ATTEMPTS: int(fields.get(ATTEMPTS, 0)) + 1,
        FIRST_ATTEMPT_AT: first,
        "lastAttemptAt": now,
        LAST_ERROR: error,
    }


def _give_up(
    outbox: Outbox,
    event_id: str,
    now: datetime,
    error: str,
    fields: dict[str, Any] | None = None,
) -> None:
    """Keep the event, marked failed (for `events list --failed`)."""
    attempt = (
        {} if fields is None else _attempt(fields, fields.get(FIRST_ATTEMPT_AT) or now, now, error)
    )
    outbox.note_attempt(event_id, attempt | {STATE: FAILED, "failedAt": now, LAST_ERROR: error})


@dataclass
class Run:
    """What `events deliver` did: counts by verdict."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def deliver_pending(
    config: Config,
    outbox: Outbox,
    post: Post,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Run:
    """One attempt at every pending event, oldest first (`events deliver`)."""
    run = Run()
    for fields in list(outbox.outbox_events()):
        if fields.get(STATE) == FAILED:
            continue
        try:
            result = deliver(config, outbox, str(fields["eventId"]), post, clock)
        except DeliveryFailed:
            run.add(Verdict.RETRY.value)
            continue
        if result is not None:
            run.add(result.value)
    return run


def failed_events(outbox: Outbox, now: datetime) -> Iterator[dict[str, Any]]:
    """`events list --failed`: the events given up, oldest first."""
    return (fields for fields in outbox.outbox_events() if is_failed(fields, now))
