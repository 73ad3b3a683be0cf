"""One instance's health, asked of GREEN-API rather than waited for: its state
(getStateInstance) and its queue of undelivered notifications (getWebhooksCount).

GREEN-API does not always send stateInstanceChanged (no notAuthorized follows a blocked), so a
state that differs from instances/{idInstance} is recorded as if that notification had come:
the same service method, the same `instance.state` log line and so the same alert. A queue longer
than WEBHOOK_BACKLOG_ALERT means deliveries fail (wrong URL or token, the function down) or are
too slow: one `instance.webhook_backlog` WARNING with the count, which both stacks alert on.
What was found, and when, is kept on instances/{idInstance} for `status`.

The scheduled run checks every instance (check_instances); a per-instance task calls
check_instance; `status --refresh` runs the same now. GREEN-API allows these methods about one
request a second per instance: each check paces its two requests so.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from call_logger.core.envelope import STATE_INSTANCE_CHANGED, event_of, level_for
from call_logger.core.journal import LookupPacer
from call_logger.settings.logs import request_context
from call_logger.stores.base import StorageUnavailable

if TYPE_CHECKING:
    from call_logger.green_api import GreenApiClient
    from call_logger.settings.config import Config
    from call_logger.stores.base import Store

log = logging.getLogger(__name__)

BACKLOG_EVENT = "instance.webhook_backlog"
CHECKED_EVENT = "instance.checked"
# GREEN-API's rate for getStateInstance and getWebhooksCount, per instance.
REQUEST_INTERVAL = 1.0
# The longest one check waits for its turns and its answers before it gives up the rest.
CHECK_BUDGET = 30.0
# Instances checked at once by check_instances: their pacing waits overlap.
CHECK_WORKERS = 8


class InstanceApi(Protocol):
    """The GREEN-API methods a check asks (green_api.GreenApiClient provides them)."""

    def get_state_instance(self) -> str: ...

    def get_webhooks_count(self) -> int: ...


@dataclass
class HealthReport:
    """What one check found; None where GREEN-API did not answer (`errors` say why)."""

    instance_id: int
    checked_at: datetime
    backlog_alert: int
    state: str | None = None
    state_outcome: str | None = None  # recorded: it differed from the stored state
    backlog: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def backlogged(self) -> bool:
        return self.backlog is not None and self.backlog > self.backlog_alert

    def stored_fields(self) -> dict[str, Any]:
        """The fields kept on instances/{idInstance}: what was learnt, and when."""
        fields: dict[str, Any] = {}
        if self.state is not None:
            fields["stateCheckedAt"] = self.checked_at
        if self.backlog is not None:
            fields |= {"webhookBacklog": self.backlog, "backlogCheckedAt": self.checked_at}
        return fields

    def as_fields(self) -> dict[str, Any]:
        """The report as JSON-ready fields (the log line's, and `status --refresh --json`'s)."""
        return {
            "instance": self.instance_id,
            "state": self.state,
            "stateOutcome": self.state_outcome,
            "webhookBacklog": self.backlog,
            "webhookBacklogAlert": self.backlog_alert,
            "checkedAt": self.checked_at.isoformat(),
            "checkErrors": self.errors,
        }


def check_instance(
    config: Config,
    instance_id: int,
    *,
    store: Store | None = None,
    client: InstanceApi | None = None,
    pacer: LookupPacer | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> HealthReport:
    """Check one instance of the configuration: ask its state and its webhook queue, record a
    state that differs from the stored one, keep what was found on instances/{instance_id},
    and log it. GREEN-API and storage failures are in the report (and the line), never raised:
    the next check tries again. `store`, `client` and `pacer` default to the configured ones."""
    settings = config.settings_for(instance_id)
    report = HealthReport(instance_id, clock(), settings.webhook_backlog_alert)
    with contextlib.ExitStack() as own:
        if client is None:
            made = _client(config, instance_id)
            if made is None:
                report.errors.append("the instance has no GREEN-API token")
                _log(report)
                return report
            client = own.enter_context(made)  # closed when the check ends
        pacer = pacer or LookupPacer(CHECK_BUDGET, REQUEST_INTERVAL)
        report.state = _ask(pacer, report, "getStateInstance", client.get_state_instance)
        report.backlog = _ask(pacer, report, "getWebhooksCount", client.get_webhooks_count)
    # Storage last: a store that is down costs the record, never the backlog's line and alert.
    try:
        if store is None:
            from call_logger.stores.factory import make_store

            store = make_store(config)
        if report.state is not None:
            report.state_outcome = _record_state(settings, store, instance_id, report.state, clock)
        fields = report.stored_fields()
        if fields:
            store.note_instance_health(instance_id, fields)  # False: no state to keep it by
    except StorageUnavailable as error:
        report.errors.append(f"storage: {error}")
    _log(report)
    return report


def check_instances(config: Config, store: Store | None = None) -> list[HealthReport]:
    """Check every instance with a token, a few at once (each paced on its own); in the
    configuration's instance order."""
    instances = config.instances.with_token()
    if not instances:
        return []
    if store is None:
        try:
            from call_logger.stores.factory import make_store

            store = make_store(config)
        except StorageUnavailable:
            store = None  # each check says so in its own report
    workers = min(CHECK_WORKERS, len(instances))
    with ThreadPoolExecutor(workers, thread_name_prefix="instance-check") as pool:
        return list(
            pool.map(lambda instance: check_instance(config, instance.id, store=store), instances)
        )


def _client(config: Config, instance_id: int) -> GreenApiClient | None:
    from call_logger.green_api import GreenApiClient

    instance = config.instances.get(instance_id)
    return None if instance is None else GreenApiClient.for_instance(instance)


def _ask(pacer: LookupPacer, report: HealthReport, method: str, ask: Callable[[], Any]) -> Any:
    """One paced request; None (and the reason in the report) when it failed or had no turn."""
    from call_logger.green_api import GreenApiError

    if pacer.slot(CHECK_BUDGET) is None:
        report.errors.append(f"{method}: no turn within {CHECK_BUDGET:g} s")
        return None
    try:
        return ask()
    except GreenApiError as error:  # its message is token-free
        report.errors.append(str(error))
        return None


def _record_state(
    config: Config, store: Store, instance_id: int, state: str, clock: Callable[[], datetime]
) -> str | None:
    """Record the state as a stateInstanceChanged when it differs from the stored one; the
    outcome (recorded, outdated), or None when it is the stored state already."""
    stored = store.load_instance(instance_id)
    if stored is not None and stored.state == state:
        return None
    from call_logger.flows.webhook import CallService

    body = {
        "typeWebhook": STATE_INSTANCE_CHANGED,
        "instanceData": {"idInstance": instance_id},
        "timestamp": int(clock().timestamp()),
        "stateInstance": state,
    }
    raw = json.dumps(body).encode()
    # The line a notification would have given (event instance.state, ERROR unless authorized).
    fields = {"instance": instance_id, "type": STATE_INSTANCE_CHANGED, "stateSource": "check"}
    with request_context(**fields) as line:
        outcome = CallService(config, store).record_state(body, raw).value
        line["outcome"] = outcome
        log.log(
            level_for(line, None),
            "instance %s: getStateInstance says %s (stored: %s): %s",
            instance_id,
            state,
            None if stored is None else stored.state,
            outcome,
            extra={"event": event_of(line)},
        )
    return outcome


def _log(report: HealthReport) -> None:
    if report.backlogged:
        level, event = logging.WARNING, BACKLOG_EVENT
        text = (
            f"{report.backlog} notifications wait in the webhook queue (alert above "
            f"{report.backlog_alert}): deliveries fail (wrong webhookUrl or token, the function "
            "down) or are too slow; `configure-instance --check` compares the settings"
        )
    else:
        level, event = logging.INFO, CHECKED_EVENT
        text = f"state {report.state}, {report.backlog} notifications waiting"
    if report.errors:
        level = max(level, logging.WARNING)
        text += f"; not answered: {'; '.join(report.errors)}"
    fields = report.as_fields()
    log.log(level, "instance %s: %s", report.instance_id, text, extra={"event": event, **fields})
