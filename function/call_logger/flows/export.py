"""The export flow: every record of a window, read page by page from the store, written as rows
(core/export.py says the columns and formats) while the next page is read."""

from __future__ import annotations

from datetime import datetime
from typing import TextIO

from call_logger.core import export
from call_logger.settings.config import Config
from call_logger.stores.base import Store


def write(
    store: Store,
    config: Config,
    since: datetime,
    until: datetime,
    instance_id: int | None,
    form: str,
    out: TextIO,
) -> int:
    """Write the records with since <= eventAt <= until (of one instance, in its TIMEZONE, when
    `instance_id` is given) to `out` in `form` (csv or jsonl); how many. StorageUnavailable
    while reading, after the rows read so far."""
    zone = config.timezone if instance_id is None else config.settings_for(instance_id).timezone
    found = export.in_window(store.recent_records(since, None), until, instance_id)
    rows = (export.row(fields, zone, config.instances.label_of) for fields in found)
    return export.WRITERS[form](rows, out)
