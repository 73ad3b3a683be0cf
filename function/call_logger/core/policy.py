"""What to record for a call status under a handling mode, and with which label. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from call_logger.core.notification import INCOMING, OUTGOING
from call_logger.settings.config import Mode

# GREEN-API's recommended texts, as CALL_LABELS keys (config.DEFAULT_LABELS holds the texts).
_ALL = {
    "offer": "incoming",
    "pickUp": "answered",
    "hungUp": "dropped",
    "missed": "missed",
    "declined": "missed",
}
# In `results` mode every unanswered outcome reads as a missed call, and the ring is not kept.
_RESULTS = {**_ALL, "hungUp": "missed"}
del _RESULTS["offer"]


def label_key(mode: Mode, status: str, direction: str = INCOMING) -> str | None:
    """The CALL_LABELS key for a canonical status under `mode`; None means: do not record.
    An outgoing call is recorded in every mode but `ignore`: it is how a call back is seen."""
    if mode is Mode.IGNORE:
        return None
    if direction == OUTGOING:
        return "outgoing" if status == "pickUp" else "outgoing_unanswered"
    if mode is Mode.OFFER:
        return "incoming" if status == "offer" else None
    if mode is Mode.RESULTS:
        if status == "offer":
            return None
        return _RESULTS.get(status, "unknown")
    return _ALL.get(status, "unknown")  # a status we do not know is kept, never dropped


def label_for(
    mode: Mode, status: str, labels: Mapping[str, str], direction: str = INCOMING
) -> str | None:
    key = label_key(mode, status, direction)
    return None if key is None else labels[key]
