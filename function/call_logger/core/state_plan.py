"""The instance's newest known state (instances/{idInstance}), decided from what the store
holds: an instanceStateChanged notification replaces it only when it is newer. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from call_logger.core.envelope import AUTHORIZED
from call_logger.core.events import OutboxEvent
from call_logger.core.notification import StateNotification


@dataclass(frozen=True)
class StoredState:
    """instances/{idInstance} as read; `version` as in ChatState."""

    version: Any
    state: str
    changed_at: datetime


@dataclass(frozen=True)
class StateWrite:
    """Create instances/{instance_id} (create=True) or replace it if `version` still holds;
    `events` are committed with it."""

    instance_id: int
    create: bool
    version: Any
    fields: dict[str, Any]
    events: tuple[OutboxEvent, ...] = ()


def state_rank(state: str, changed_at: datetime) -> tuple[datetime, bool, str]:
    """Newer wins; at the same second a state needing a person wins over `authorized` (so an
    alert is never hidden), and names break the last tie: the result is order-independent."""
    return (changed_at, state != AUTHORIZED, state)


def plan_state(notification: StateNotification, stored: StoredState | None) -> StateWrite | None:
    """The write that makes this notification the instance's state; None when the stored state
    is as new or newer (a redelivery or an older notification arriving late)."""
    changed_at = notification.changed_at
    if stored is not None and state_rank(notification.state, changed_at) <= state_rank(
        stored.state, stored.changed_at
    ):
        return None
    return StateWrite(
        instance_id=notification.instance_id,
        create=stored is None,
        version=None if stored is None else stored.version,
        fields={
            "instanceId": notification.instance_id,
            "state": notification.state,
            "stateChangedAt": changed_at,
            # getStateInstance tells no wid: a state the health check found keeps the known one.
            **({"wid": notification.wid} if notification.wid or stored is None else {}),
        },
    )
