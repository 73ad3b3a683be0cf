"""`status`: each instance's state (instances/{idInstance}) from the configured store: every
instance with a stored state, and every configured instance (GREEN_API_INSTANCES, or
GREEN_API_ID_INSTANCE) also when none is stored yet; with what the last health check found
(its webhook backlog) and when."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from call_logger.core.notification import what_to_do
from call_logger.flows.recent_calls import as_json, table, utc_time
from call_logger.settings.config import DEFAULT_WEBHOOK_BACKLOG_ALERT, Config
from call_logger.settings.instances import Instances
from call_logger.stores.factory import with_store

__all__ = ["as_json", "as_table", "fetch"]


def fetch(config: Config) -> list[dict[str, Any]]:
    """Every stored instance state, by instance id. Raises Unreachable."""
    found = with_store(config, lambda store: list(store.instance_states()))
    known = {fields.get("instanceId") for fields in found}
    # A configured instance that never sent stateInstanceChanged is listed too, without a state.
    found += [
        {"instanceId": instance.id, "state": None}
        for instance in config.instances
        if instance.id not in known
    ]
    return sorted(found, key=lambda fields: str(fields.get("instanceId")))


COLUMNS = ("instance", "state", "since (UTC)", "checked (UTC)", "backlog", "wid", "what to do")


NO_STATE = "(none yet)"
NO_STATE_ADVICE = "set the instance's stateWebhook to yes to see its state here"
BACKLOG_ADVICE = (
    "{count} notifications wait undelivered: check the webhookUrl and token "
    "(configure-instance --check) and the function's logs"
)


def as_table(
    found: list[dict[str, Any]],
    instances: Instances,
    backlog_alert: Callable[[int], int] = lambda instance_id: DEFAULT_WEBHOOK_BACKLOG_ALERT,
) -> str:
    """One row per instance, named by its label and id where the instance map gives a label;
    `backlog_alert` gives each instance's WEBHOOK_BACKLOG_ALERT."""
    if not found:
        return "No instance state known yet (none has sent stateInstanceChanged)."
    rows = [
        (
            _name(fields.get("instanceId"), instances),
            str(fields["state"]) if fields.get("state") else NO_STATE,
            utc_time(fields.get("stateChangedAt")),
            utc_time(fields.get("stateCheckedAt") or fields.get("backlogCheckedAt")),
            _backlog(fields.get("webhookBacklog")),
            str(fields.get("wid") or ""),
            _advice(fields, backlog_alert),
        )
        for fields in found
    ]
    return table(COLUMNS, rows)


def _backlog(count: object) -> str:
    return str(count) if isinstance(count, int) else ""


def _advice(fields: dict[str, Any], backlog_alert: Callable[[int], int]) -> str:
    state = fields.get("state")
    advice = [what_to_do(str(state)) if state else NO_STATE_ADVICE]
    count, instance_id = fields.get("webhookBacklog"), fields.get("instanceId")
    if (
        isinstance(count, int)
        and isinstance(instance_id, int)
        and count > backlog_alert(instance_id)
    ):
        advice.append(BACKLOG_ADVICE.format(count=count))
    return "; ".join(text for text in advice if text)


def _name(instance_id: object, instances: Instances) -> str:
    instance = instances.get(instance_id) if isinstance(instance_id, int) else None
    return instance.name if instance is not None else str(instance_id or "")
