"""How the report's figures read a stored record's fields (and what the mappings of them are
called), and the percentile they use. Pure.

Shared by the report (report.py), the call-back SLA (sla.py) and the folding of lid chats into
phone chats (people.py), which each import it alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

OUTGOING = "outgoing"

# A stored record's (or chat summary's) fields as a store reads them, and the chat summaries by
# their key (chat_key).
Fields = Mapping[str, Any]
Chats = Mapping[str, Fields]


def chat_key(fields: Mapping[str, Any]) -> str:
    """The chat summary's key for a record's fields (the stores' `{idInstance}_{chatId}`)."""
    return f"{fields.get('instanceId')}_{fields.get('chatId')}"


def is_incoming(fields: Mapping[str, Any]) -> bool:
    return fields.get("direction", "incoming") != OUTGOING  # records from before directions


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]
