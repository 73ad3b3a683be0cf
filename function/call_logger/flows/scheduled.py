"""The scheduled reconcile run: Cloud Scheduler posts to main.reconcile_calls, EventBridge
Scheduler invokes lambda_function.reconcile_handler, both with the event
{"action": "reconcile", "since": "<duration>"} that Terraform writes (the window lives there).

The daily digest rides on the same runs: with DIGEST_TIME set, the first run after that time of
day sends yesterday's digest to OPERATOR_CHAT_ID (at most once a day, remembered in storage)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from call_logger.settings.config import Config, parse_duration

if TYPE_CHECKING:
    from call_logger.core.journal import ReconcileReport

log = logging.getLogger(__name__)

RECONCILE_ACTION = "reconcile"


class NotAReconcileRun(ValueError):
    """The event is not the scheduler's: nothing was done."""


def reconcile_event(config: Config, event: object) -> list[ReconcileReport]:
    """Run reconcile as the event asks, every instance in turn (each writes its one log line);
    NotAReconcileRun for any other event, ConfigError when the function lacks the GREEN-API
    settings."""
    if not isinstance(event, dict) or event.get("action") != RECONCILE_ACTION:
        raise NotAReconcileRun('expected {"action": "reconcile", "since": "<duration>"}')
    since_text = event.get("since")
    try:
        since = parse_duration(since_text if isinstance(since_text, str) else "")
    except ValueError as error:
        raise NotAReconcileRun(f"since: {error}") from None
    if since.total_seconds() <= 0:
        raise NotAReconcileRun("since must be more than zero")
    from call_logger.flows.reconcile import run_reconcile

    report = run_reconcile(config, since)
    send_digest_if_due(config)
    return report


def send_digest_if_due(config: Config) -> None:
    """Yesterday's digest, once DIGEST_TIME has passed today. Its failure is logged and never
    fails the reconcile run, whose counts are what the scheduler reports."""
    if config.digest_time is None:
        return
    from call_logger.flows.reporting import scheduled_digest
    from call_logger.green_api import GreenApiClient
    from call_logger.stores.factory import make_store

    store = make_store(config)
    if len(config.instances) <= 1 and not config.instance_map:
        try:
            scheduled_digest(store, config, GreenApiClient.from_config(config))
        except Exception as error:
            log.error("the daily digest failed: %s", error, extra={"event": "digest.failed"})
        return
    # GREEN_API_INSTANCES (a map of one too): each its own digest (its calls, its TIMEZONE, its
    # operator chat).
    for instance in config.instances.with_token():
        settings = config.for_instance(instance.id)
        if not settings.operator_chat_id:
            continue
        client = GreenApiClient.for_instance(instance)
        try:
            scheduled_digest(store, settings, client, instance_id=instance.id)
        except Exception as error:
            log.error(
                "the daily digest of instance %s failed: %s",
                instance.id,
                error,
                extra={"event": "digest.failed", "instance": instance.id},
            )
