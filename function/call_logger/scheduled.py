"""The scheduled reconcile run: Cloud Scheduler posts to main.reconcile_calls, EventBridge
Scheduler invokes lambda_function.reconcile_handler, both with the event
{"action": "reconcile", "since": "<duration>"} that Terraform writes (the window lives there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Config, parse_duration

if TYPE_CHECKING:
    from .journal import ReconcileReport

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
    from .service import run_reconcile

    return run_reconcile(config, since)
