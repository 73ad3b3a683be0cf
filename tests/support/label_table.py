"""The mode x status -> label table of docs/configuration.md, the one copy the tests check the
code against.

Written out by hand on purpose (not read from call_logger.core.policy), so that a change to the
policy must be a change here too. Pure: the unit layer imports it.
"""

from __future__ import annotations

LABELS = {
    "all": {
        "offer": "Incoming call",
        "pickUp": "Answered call",
        "hungUp": "Dropped call",
        "missed": "Missed call",
        "declined": "Missed call",
    },
    "results": {
        "pickUp": "Answered call",
        "hungUp": "Missed call",
        "missed": "Missed call",
        "declined": "Missed call",
    },
    "offer": {"offer": "Incoming call"},
    "ignore": {},
}
UNKNOWN_LABEL = "Call"  # a status the table does not know, in `all` and `results`
# Every status GREEN-API documents, both spellings of "not answered", and one it may add later.
STATUSES = ("offer", "pickUp", "hungUp", "hangUp", "missed", "declined", "ringingAgain")


def canonical(status: str) -> str:
    return "hungUp" if status == "hangUp" else status


def expected_label(mode: str, status: str) -> str | None:
    """The label a status gets under mode, or None when the mode keeps nothing for it."""
    status = canonical(status)
    if mode == "ignore" or (mode == "offer" and status != "offer"):
        return None
    if mode == "results" and status == "offer":
        return None
    return LABELS[mode].get(status, UNKNOWN_LABEL)
