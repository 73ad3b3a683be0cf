"""`calls`: recent call records from the store the function writes, as a table or JSON.

On Firestore one query shape per option set, each served by an index the Terraform declares
(collection group `records`):
  default:  eventAt >= since, order by eventAt desc                  (eventAt, collection group)
  --chat:   chatId == X, eventAt >= since, order by eventAt desc     (chatId + eventAt)
On DynamoDB the byTime index (gsi1pk, eventAt), read backwards, with chatId as a filter.
Reading stops at the limit, which closes the stream.
--unanswered adds no filter to the query: `status not-in [...]` next to a range on eventAt is a
second inequality, which needs multiple-inequality support and an (eventAt, status) index. The
range query is read newest first instead and statuses are filtered here, stopping at the limit:
that works on every database (the emulator, which needs no index, could not tell them apart).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from call_logger.core.notification import phone_of
from call_logger.settings.config import Config
from call_logger.settings.instances import Instances
from call_logger.settings.parse import positive_duration
from call_logger.stores.base import Store
from call_logger.stores.factory import with_store

# Statuses of a call that rang or was answered; everything else went unanswered.
ANSWERED_OR_RINGING = ("offer", "pickUp")
_PHONE = re.compile(r"^\+?\d{5,20}$")


@dataclass(frozen=True)
class CallQuery:
    since: timedelta
    chat_id: str | None = None
    unanswered: bool = False
    limit: int = 100
    since_text: str = ""  # --since as given, for messages

    @classmethod
    def from_options(
        cls, *, since: str, chat: str | None, unanswered: bool, limit: int
    ) -> CallQuery:
        """Raises ValueError with a message for a person."""
        window = positive_duration(since, "--since")
        if limit < 1:
            raise ValueError("--limit must be at least 1")
        chat_id = chat_id_of(chat) if chat else None
        return cls(window, chat_id, unanswered, limit, since.strip())


def chat_id_of(text: str) -> str:
    """A chat id as given, or `<digits>@c.us` for a phone number (+79001234567, 79001234567)."""
    text = text.strip()
    if "@" in text:
        return text
    number = re.sub(r"[\s()-]", "", text)  # +7 (900) 123-45-67 as people write it
    if not _PHONE.match(number):
        raise ValueError(f"--chat: {text!r} is neither a chat id (…@c.us) nor a phone number")
    return f"{number.lstrip('+')}@c.us"


def fetch(config: Config, query: CallQuery, now: datetime | None = None) -> list[dict[str, Any]]:
    """The matching records' fields, newest first, from the configured store. Raises Unreachable."""
    since_at = (now or datetime.now(UTC)) - query.since

    def read(store: Store) -> list[dict[str, Any]]:
        found = store.recent_records(since_at, query.chat_id)
        return list(_take(_matching(found, query), query.limit))

    return with_store(config, read)


def _matching(found: Iterable[dict[str, Any]], query: CallQuery) -> Iterator[dict[str, Any]]:
    for fields in found:
        if query.unanswered and fields.get("status") in ANSWERED_OR_RINGING:
            continue
        yield fields


def _take(found: Iterator[dict[str, Any]], limit: int) -> Iterator[dict[str, Any]]:
    for count, fields in enumerate(found, start=1):
        yield fields
        if count >= limit:
            return  # closes the stream: no more documents are read


def as_json(found: list[dict[str, Any]], instances: Instances) -> str:
    """A JSON array of the records' fields, with `instanceLabel` where the instance map gives
    one; timestamps in ISO 8601."""
    labelled = [_with_instance_label(fields, instances) for fields in found]
    return json.dumps(labelled, default=_json_value, ensure_ascii=False, indent=2, sort_keys=True)


def _with_instance_label(fields: dict[str, Any], instances: Instances) -> dict[str, Any]:
    label = _instance_label(fields, instances)
    return {**fields, "instanceLabel": label} if label else fields


def _instance_label(fields: dict[str, Any], instances: Instances) -> str:
    instance_id = fields.get("instanceId")
    return instances.label_of(instance_id) if isinstance(instance_id, int) else ""


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


COLUMNS = ("time (UTC)", "phone", "name", "label", "status")


def as_table(found: list[dict[str, Any]], query: CallQuery, instances: Instances) -> str:
    """A table, newest first; with several instances, the first column says whose call it
    was (the instance's label, or its id)."""
    if not found:
        kind = "unanswered calls" if query.unanswered else "calls"
        chat = f" from {query.chat_id}" if query.chat_id else ""
        return f"No {kind}{chat} in the last {query.since_text or query.since}."
    several = len(instances) > 1
    columns = ("instance", *COLUMNS) if several else COLUMNS
    rows = [
        (
            *(
                (_instance_label(fields, instances) or str(fields.get("instanceId", "")),)
                if several
                else ()
            ),
            utc_time(fields.get("eventAt")),
            phone_of(str(fields.get("chatId", ""))) or str(fields.get("chatId", "")),
            fields.get("callerName") or "",
            str(fields.get("label", "")),
            str(fields.get("status", "")),
        )
        for fields in found
    ]
    return table(columns, rows)


def table(columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Left-aligned columns two spaces apart, the header first."""
    widths = [max(len(row[i]) for row in [columns, *rows]) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [columns, *rows]
    )


def utc_time(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return ""
