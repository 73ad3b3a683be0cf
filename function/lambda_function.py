"""AWS Lambda entry points: `lambda_function.lambda_handler`, the webhook of main.py behind the
Function URL; `lambda_function.reconcile_handler`, the reconcile run EventBridge Scheduler
invokes (a second function from the same zip, without a URL)."""

from __future__ import annotations

import os
from typing import Any

from call_logger.entrypoints.aws_lambda import environ_with_secrets, handle_event, handle_task_batch
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
