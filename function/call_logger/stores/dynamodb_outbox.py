"""The outbox on DynamoDB, as the delivery of events reads and settles it (flows/events.py):
items pk=OUTBOX#{eventId} (written with the record, stores/dynamodb.py; listed from the byTime
index) and pk=RECEIVER#{sha256 of the URL} (a receiver that answered 410 Gone)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from call_logger.stores.dynamodb import (
    _KEYS,
    OUTBOX_PREFIX,
    OUTBOX_SK,
    RECEIVER_SK,
    RECORDS_INDEX,
    DynamoDBStore,
    _assignments,
    _storage_errors,
    from_item,
    to_item,
)


class DynamoDBOutbox(DynamoDBStore):
    def outbox_event(self, event_id: str) -> dict[str, Any] | None:
        key = {"pk": {"S": OUTBOX_PREFIX + event_id}, "sk": {"S": OUTBOX_SK}}
        item = self._get([key]).get(OUTBOX_SK)
        return None if item is None else _public(from_item(item))

    def receiver_gone(self, receiver_key: str) -> bool:
        key = {"pk": {"S": f"RECEIVER#{receiver_key}"}, "sk": {"S": RECEIVER_SK}}
        return RECEIVER_SK in self._get([key])

    def note_attempt(self, event_id: str, fields: dict[str, Any]) -> None:
        assignments, names, values = _assignments(fields)
        with _storage_errors(self._table):
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"pk": OUTBOX_PREFIX + event_id, "sk": OUTBOX_SK}),
                UpdateExpression="SET " + ", ".join(assignments),
                # A delivered (removed) event is not brought back as a bare item.
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )

    def remove_event(self, event_id: str) -> None:
        with _storage_errors(self._table):
            self._client.delete_item(
                TableName=self._table,
                Key=to_item({"pk": OUTBOX_PREFIX + event_id, "sk": OUTBOX_SK}),
            )

    def mark_receiver_gone(self, receiver_key: str, at: datetime) -> None:
        item = {"pk": f"RECEIVER#{receiver_key}", "sk": RECEIVER_SK, "goneAt": at}
        with _storage_errors(self._table):
            self._client.put_item(TableName=self._table, Item=to_item(item))

    def outbox_events(self) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": RECORDS_INDEX,
            "KeyConditionExpression": "gsi1pk = :outbox",
            "ExpressionAttributeValues": to_item({":outbox": OUTBOX_SK}),
        }
        yield from self._query(request, _KEYS | {"eventAt"})


def _public(fields: dict[str, Any]) -> dict[str, Any]:
    """An item's fields without the table's keys and index copies."""
    return {name: value for name, value in fields.items() if name not in _KEYS | {"eventAt"}}
