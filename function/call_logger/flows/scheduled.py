"""The scheduled work: Cloud Scheduler posts to main.reconcile_calls, EventBridge Scheduler
invokes lambda_function.reconcile_handler, both with the event {"action": "reconcile", "since":
"<duration>"} that Terraform writes (the window lives there).

That run only dispatches: one task per instance, {"action": "reconcile-instance", "instance":
<idInstance>, "since": ...}, onto the cloud's own queue (task_queues: Cloud Tasks or SQS), which
calls the same private function back with each task at its own pace and retries a task that
failed, without holding up the others. A task reconciles its instance, checks its health
(flows/health.py: its state and webhook backlog) and sends its digest (with DIGEST_TIME set, the
first run after that time of day sends yesterday's, at most once a day per instance, remembered
in storage).

With no queue configured the tasks run here, one after another: what a deployment of one
instance needs (nothing to manage), and what a deployment of several did before it had a queue.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from call_logger.core.journal import ReconcileReport, ReconcileRun
from call_logger.settings.config import Config, ConfigError
from call_logger.settings.parse import parse_duration

if TYPE_CHECKING:
    from call_logger.green_api import GreenApiClient
    from call_logger.stores.base import Store

log = logging.getLogger(__name__)

RECONCILE_ACTION = "reconcile"
INSTANCE_TASK = "reconcile-instance"


class NotAReconcileRun(ValueError):
    """The event is not the scheduler's nor a task of it: nothing was done (never retried)."""


@dataclass
class Run:
    """What a scheduled invocation did: the counts it answers with, and what failed (the
    scheduler or the queue then retries it)."""

    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def run(config: Config, event: object) -> Run:
    """The scheduler's event (dispatch) or one task of it (one instance); NotAReconcileRun for
    any other event, ConfigError when the function lacks the GREEN-API settings."""
    if isinstance(event, dict) and event.get("action") == INSTANCE_TASK:
        return run_task(config, event)
    since_text = _since_text(event, RECONCILE_ACTION)
    return dispatch(config, since_text)


def dispatch(config: Config, since_text: str) -> Run:
    """One task per instance onto the queue; with none configured, the tasks run here."""
    from call_logger.task_queues import QueueError, task_queue

    instances = config.instances.with_token()
    if not instances:
        raise ConfigError("reconcile needs GREEN_API_ID_INSTANCE and GREEN_API_TOKEN")
    queue = task_queue(config)
    if queue is None:
        if len(instances) > 1:
            log.warning(
                "no task queue configured: %d instances reconciled one after another",
                len(instances),
                extra={"event": "reconcile.inline"},
            )
        return _counts(reconcile_event(config, {"action": RECONCILE_ACTION, "since": since_text}))
    tasks = [task(instance.id, since_text) for instance in instances]
    try:
        queue.send(tasks)
    except QueueError as error:
        log.error("dispatch failed: %s", error, extra={"event": "reconcile.dispatch_failed"})
        return Run({"dispatched": 0}, str(error))
    log.info(
        "dispatched %d reconcile tasks",
        len(tasks),
        extra={"event": "reconcile.dispatched", "tasks": len(tasks)},
    )
    return Run({"dispatched": len(tasks)})


def task(instance_id: int, since_text: str) -> dict[str, Any]:
    return {"action": INSTANCE_TASK, "instance": instance_id, "since": since_text}


def run_task(config: Config, event: dict[str, Any]) -> Run:
    """One instance's share of the scheduled work: reconcile it, check its state, send its
    digest. A failed reconcile fails the task (the queue retries it); the check and the digest
    log their own failures and never fail it (the digest is claimed before it is sent: a retry
    would find it claimed)."""
    from call_logger.flows.reconcile import reconcile_instance
    from call_logger.green_api import ClientPool
    from call_logger.stores.factory import make_store

    since = parse_duration(_since_text(event, INSTANCE_TASK))
    instance_id = event.get("instance")
    if not isinstance(instance_id, int) or config.instances.get(instance_id) is None:
        raise NotAReconcileRun(f"instance: {instance_id!r} is not an instance of this deployment")
    settings = config.for_instance(instance_id)
    # One database client and one GREEN-API session for the task's three parts: each made
    # anew would open its connection again (in the cloud: a TLS session, an access token).
    store = make_store(config)
    with contextlib.closing(ClientPool(config.instances)) as clients:
        report = reconcile_instance(settings, ReconcileRun(since), clients, store)
        green_api = clients(instance_id)
        check_instance_state(config, instance_id, store, green_api)
        send_instance_digest(store, settings, instance_id, green_api, several=_several(config))
    return _counts([report])


def check_instance_state(
    config: Config, instance_id: int, store: Store, green_api: GreenApiClient | None
) -> None:
    """The instance's state and webhook backlog (flows/health.py). Its failures are its own
    report's, never the task's."""
    from call_logger.flows.health import check_instance

    try:
        check_instance(config, instance_id, store=store, client=green_api)
    except Exception as error:
        _instance_failed("the state check", "health.failed", instance_id, error)


def reconcile_event(config: Config, event: object) -> list[ReconcileReport]:
    """Every instance in turn, here (each writes its one log line), then the digests: the
    scheduled run without a queue, as the CLI's reconcile runs it."""
    since = parse_duration(_since_text(event, RECONCILE_ACTION))
    from call_logger.flows.reconcile import run_reconcile

    report = run_reconcile(config, ReconcileRun(since))
    check_health(config)
    send_digest_if_due(config)
    return report


def check_health(config: Config) -> None:
    """Each instance's state and webhook backlog (health.check_instances logs what it finds).
    A failure is logged and never fails the reconcile run."""
    from call_logger.flows.health import check_instances

    try:
        check_instances(config)
    except Exception as error:
        log.error("the instance check failed: %s", error, extra={"event": "instance.check_failed"})


def send_digest_if_due(config: Config) -> None:
    """Yesterday's digest of each instance, once DIGEST_TIME has passed today."""
    if config.digest_time is None:
        return
    from call_logger.green_api import ClientPool
    from call_logger.stores.factory import make_store

    store = make_store(config)
    several = _several(config)
    with contextlib.closing(ClientPool(config.instances)) as clients:
        for instance in config.instances.with_token():
            settings = config.for_instance(instance.id) if several else config
            send_instance_digest(store, settings, instance.id, clients(instance.id), several)


def send_instance_digest(
    store: Store,
    settings: Config,
    instance_id: int,
    green_api: GreenApiClient | None,
    several: bool,
) -> None:
    """The instance's digest when due (its calls, its TIMEZONE, its operator chat; a deployment
    of one keeps its day's claim under the day alone), sent with `green_api`, the instance's
    client. Its failure is logged and never fails the run, whose counts are what the scheduler
    reports."""
    if settings.digest_time is None or not settings.operator_chat_id:
        return
    from call_logger.flows.reporting import scheduled_digest

    try:
        scheduled_digest(store, settings, green_api, instance_id=instance_id if several else None)
    except Exception as error:
        _instance_failed("the daily digest", "digest.failed", instance_id, error)


def _instance_failed(what: str, event: str, instance_id: int, error: Exception) -> None:
    """One instance's part of the run failed: an ERROR line of its own, never the run's end."""
    log.error(
        "%s of instance %s failed: %s",
        what,
        instance_id,
        error,
        extra={"event": event, "instance": instance_id},
    )


def _several(config: Config) -> bool:
    """GREEN_API_INSTANCES (a map of one too): each instance a deployment of its own for
    digests, its day claimed apart."""
    return len(config.instances) > 1 or config.instance_map


def _since_text(event: object, action: str) -> str:
    if not isinstance(event, dict) or event.get("action") != action:
        raise NotAReconcileRun('expected {"action": "reconcile", "since": "<duration>"}')
    since_text = event.get("since")
    try:
        since = parse_duration(since_text if isinstance(since_text, str) else "")
    except ValueError as error:
        raise NotAReconcileRun(f"since: {error}") from None
    if since <= timedelta(0):
        raise NotAReconcileRun("since must be more than zero")
    assert isinstance(since_text, str)
    return since_text


def _counts(reports: list[ReconcileReport]) -> Run:
    from call_logger.core.journal import run_counts, run_error

    return Run(run_counts(reports), run_error(reports))
