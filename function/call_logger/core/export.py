"""`calls export`: every record of a window as CSV (RFC 4180, a header row) or JSON Lines, for a
spreadsheet or a warehouse load. Pure: rows from record fields as the stores return them.

One row per record, in the columns below whatever the record holds (a field a record lacks is
empty in CSV and null in JSON); times in ISO 8601 in TIMEZONE. Rows are written as the store
pages them in, newest first: nothing holds the whole window.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TextIO

from call_logger.core.notification import phone_of
from call_logger.settings.parse import parse_duration

COLUMNS = (
    "eventAt",
    "instanceId",
    "instanceLabel",
    "chatId",
    "phone",
    "callerName",
    "direction",
    "status",
    "label",
    "callId",
    "source",
    "recordedAt",
    "replyText",
    "replyId",
    "replyError",
    "expireAt",
)


def when(text: str, zone: tzinfo, now: datetime, end_of_day: bool = False) -> datetime:
    """A window bound: a duration back from now (7d, 24h), a date (2026-11-01: its first instant
    in `zone`, or its last with `end_of_day`) or a date and time (naive: in `zone`)."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(
                f"{text!r} is neither a duration such as 7d nor a date such as 2026-11-01 "
                "or 2026-11-01T09:00"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)
    start = datetime.combine(day + timedelta(days=1) if end_of_day else day, time(0), zone)
    return start - timedelta(microseconds=1) if end_of_day else start


def row(fields: Mapping[str, Any], zone: tzinfo, label_of: Callable[[int], str]) -> dict[str, Any]:
    """The record's values under COLUMNS, JSON-ready: times in `zone`, None where unknown."""
    values: dict[str, Any] = {}
    for name in COLUMNS:
        value = fields.get(name)
        if isinstance(value, datetime):
            value = value.astimezone(zone).isoformat()
        values[name] = value
    chat_id, instance_id = fields.get("chatId"), fields.get("instanceId")
    values["phone"] = phone_of(chat_id) if isinstance(chat_id, str) else None
    values["instanceLabel"] = (
        (label_of(instance_id) or None) if isinstance(instance_id, int) else None
    )
    values["direction"] = fields.get("direction", "incoming")  # records from before directions
    return values


def write_csv(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """RFC 4180: a header row, CRLF line ends, fields quoted where they need it; None empty."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for values in rows:
        writer.writerow(["" if values[name] is None else values[name] for name in COLUMNS])
        count += 1
    return count


def write_jsonl(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    count = 0
    for values in rows:
        out.write(json.dumps(values, ensure_ascii=False) + "\n")
        count += 1
    return count


# The formats `calls export --format` offers, and what writes each.
WRITERS: dict[str, Callable[[Iterable[Mapping[str, Any]], TextIO], int]] = {
    "csv": write_csv,
    "jsonl": write_jsonl,
}


def in_window(
    records: Iterable[Mapping[str, Any]], until: datetime, instance_id: int | None
) -> Iterator[Mapping[str, Any]]:
    """The records (read from `since` on) up to `until`, of one instance if given."""
    for fields in records:
        at = fields.get("eventAt")
        ours = instance_id is None or fields.get("instanceId") == instance_id
        if isinstance(at, datetime) and at <= until and ours:
            yield fields
