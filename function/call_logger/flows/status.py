"""`status`: each instance's state (instances/{idInstance}) from the configured store: every
instance with a stored state, and every configured instance (GREEN_API_INSTANCES, or
GREEN_API_ID_INSTANCE) also when none is stored yet."""

from __future__ import annotations

from typing import Any

from call_logger.core.notification import what_to_do
from call_logger.flows.recent_calls import as_json, table, utc_time
from call_logger.settings.config import Config
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


COLUMNS = ("instance", "state", "since (UTC)", "wid", "what to do")


NO_STATE = "(none yet)"
NO_STATE_ADVICE = "set the instance's stateWebhook to yes to see its state here"


def as_table(found: list[dict[str, Any]], instances: Instances) -> str:
    """One row per instance, named by its label and id where the instance map gives a label."""
    if not found:
        return "No instance state known yet (none has sent stateInstanceChanged)."
    rows = [
        (
            _name(fields.get("instanceId"), instances),
            str(fields["state"]) if fields.get("state") else NO_STATE,
            utc_time(fields.get("stateChangedAt")),
            str(fields.get("wid") or ""),
            what_to_do(str(fields["state"])) if fields.get("state") else NO_STATE_ADVICE,
        )
        for fields in found
    ]
    return table(COLUMNS, rows)


def _name(instance_id: object, instances: Instances) -> str:
    instance = instances.get(instance_id) if isinstance(instance_id, int) else None
    return instance.name if instance is not None else str(instance_id or "")
