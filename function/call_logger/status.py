"""`status`: each known instance's state (instances/{idInstance}) from the configured store."""

from __future__ import annotations

from typing import Any

from .calls import Unreachable, as_json, first_line, table, utc_time
from .config import Config
from .notification import what_to_do

__all__ = ["Unreachable", "as_json", "as_table", "fetch"]


def fetch(config: Config) -> list[dict[str, Any]]:
    """Every stored instance state, by instance id. Raises Unreachable."""
    from .service import make_store
    from .store import StorageUnavailable

    try:
        found = list(make_store(config).instance_states())
    except StorageUnavailable as error:
        raise Unreachable(first_line(str(error))) from None
    return sorted(found, key=lambda fields: str(fields.get("instanceId")))


COLUMNS = ("instance", "state", "since (UTC)", "wid", "what to do")


def as_table(found: list[dict[str, Any]]) -> str:
    if not found:
        return "No instance state known yet (none has sent stateInstanceChanged)."
    rows = [
        (
            str(fields.get("instanceId", "")),
            str(fields.get("state", "")),
            utc_time(fields.get("stateChangedAt")),
            str(fields.get("wid") or ""),
            what_to_do(str(fields.get("state"))),
        )
        for fields in found
    ]
    return table(COLUMNS, rows)
