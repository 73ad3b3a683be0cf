"""AWS Lambda entry points: `lambda_function.lambda_handler`, the webhook of main.py behind the
Function URL; `lambda_function.reconcile_handler`, the reconcile run EventBridge Scheduler
invokes (a second function from the same zip, without a URL); `lambda_function.events_handler`,
the delivery of events the table's stream brings (a third, docs/events.md)."""

from __future__ import annotations

import os
from typing import Any

from call_logger.entrypoints.aws_lambda import (
    environ_with_secrets,
    failed_from,
    handle_event,
    handle_task_batch,
    outbox_ids,
)
from call_logger.entrypoints.http import Webhook
from call_logger.settings.config import Config
from call_logger.settings.logs import configure_for

# Read once at cold start: a bad setting fails the start with a message naming what is allowed.
CONFIG = Config.from_env(environ_with_secrets(os.environ))
configure_for(CONFIG)  # the same JSON lines as on Google Cloud, in CloudWatch Logs
WEBHOOK = Webhook(CONFIG)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_event(WEBHOOK, event)


def reconcile_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The scheduler's event {"action": "reconcile", "since": ...}, which dispatches one task
    per instance onto SQS, or a batch of those tasks from SQS (the event source mapping):
    the counts, or an error (Lambda records the failed invocation; a rerun completes it). Of a
    batch only the failed tasks are reported (batchItemFailures): SQS retries those alone."""
    from call_logger.flows.scheduled import run

    if "Records" in event:
        return handle_task_batch(CONFIG, event["Records"])
    done = run(CONFIG, event)
    if done.error is not None:
        raise RuntimeError(f"reconcile failed: {done.error}")
    return done.counts


def events_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A DynamoDB Streams batch of new outbox items: each delivered in order; the first one not
    taken is reported, and the mapping retries the batch from it (with bisection, for a day)."""
    from call_logger.flows.events import DeliveryFailed, deliver, post_with_requests
    from call_logger.stores.factory import make_outbox

    store = make_outbox(CONFIG)
    post = post_with_requests()
    found = outbox_ids(event)
    for index, (_, event_id) in enumerate(found):
        try:
            deliver(CONFIG, store, event_id, post)
        except DeliveryFailed:
            return failed_from([sequence for sequence, _ in found], index)
    return failed_from([], None)
