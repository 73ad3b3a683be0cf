"""The outbox on DynamoDB, as the delivery of events reads and settles it (flows/events.py):
items pk=OUTBOX#{eventId} (written with the record, stores/dynamodb.py; listed from the byTime
index) and pk=RECEIVER#{sha256 of the URL} (a receiver that answered 410 Gone)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from call_logger.stores.dynamodb import DynamoDBStore
from call_logger.stores.dynamodb_items import (
    KEYS,
    OUTBOX_PREFIX,
    OUTBOX_SK,
    RECEIVER_SK,
    from_item,
    storage_errors,
    to_item,
)
from call_logger.stores.dynamodb_writes import update_existing


class DynamoDBOutbox(DynamoDBStore):
    def outbox_event(self, event_id: str) -> dict[str, Any] | None:
        key = {"pk": {"S": OUTBOX_PREFIX + event_id}, "sk": {"S": OUTBOX_SK}}
        item = self._get([key]).get(OUTBOX_SK)
        return None if item is None else _public(from_item(item))

    def receiver_gone(self, receiver_key: str) -> bool:
        key = {"pk": {"S": f"RECEIVER#{receiver_key}"}, "sk": {"S": RECEIVER_SK}}
        return RECEIVER_SK in self._get([key])

    def note_attempt(self, event_id: str, fields: dict[str, Any]) -> None:
        # A delivered (removed) event is not brought back as a bare item.
        key = {"pk": OUTBOX_PREFIX + event_id, "sk": OUTBOX_SK}
        with storage_errors(self._table):
            self._client.update_item(**update_existing(self._table, key, fields))

    def remove_event(self, event_id: str) -> None:
        with storage_errors(self._table):
            self._client.delete_item(
                TableName=self._table,
                Key=to_item({"pk": OUTBOX_PREFIX + event_id, "sk": OUTBOX_SK}),
            )

    def mark_receiver_gone(self, receiver_key: str, at: datetime) -> None:
        item = {"pk": f"RECEIVER#{receiver_key}", "sk": RECEIVER_SK, "goneAt": at}
        with storage_errors(self._table):
            self._client.put_item(TableName=self._table, Item=to_item(item))

    def outbox_events(self) -> Iterator[dict[str, Any]]:
        yield from self._index_items(OUTBOX_SK, KEYS | {"eventAt"})


def _public(fields: dict[str, Any]) -> dict[str, Any]:
    """An item's fields without the table's keys and index copies."""
    return {name: value for name, value in fields.items() if name not in KEYS | {"eventAt"}}
