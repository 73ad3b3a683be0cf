"""DynamoDB behind the Store protocol, with the same guarantees as Firestore.

One table (terraform/aws/dynamodb.tf); its keys and item layout: stores/dynamodb_items.py.

A load is one strongly consistent BatchGetItem; a save is one conditional write (a transaction when
the chat summary changes too), so redeliveries and races resolve exactly as on Firestore.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Self

import boto3
from botocore.config import Config as BotoConfig

from call_logger.core import state_plan, write_plan
from call_logger.core.notification import CallNotification
from call_logger.settings.config import Config
from call_logger.stores.base import EXISTENCE_BATCH, RecordKey, Rejected, WriteConflict
from call_logger.stores.dynamodb_items import (
    BATCH_GET_LIMIT,
    CHAT_SK,
    DIGEST_SK,
    INSTANCE_RECORDS_INDEX,
    INSTANCE_SK,
    INSTANCES_INDEX_KEY,
    KEYS,
    MAX_PARTITION_KEY_BYTES,
    MAX_REJECTED_BODY_BYTES,
    MAX_SORT_KEY_BYTES,
    RECORD_PREFIX,
    RECORDS_INDEX,
    RECORDS_INDEX_KEY,
    REJECTED_SK,
    SEND_LOG_SK,
    chat_pk,
    chat_state,
    check_key_size,
    from_item,
    instance_pk,
    instance_records_key,
    send_log,
    send_log_pk,
    storage_errors,
    to_item,
)
from call_logger.stores.dynamodb_writes import (
    chat_update,
    chat_write,
    event_puts,
    instance_write,
    put_new,
    send_log_put,
    update_existing,
)


class DynamoDBStore:
    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    @classmethod
    def from_config(cls, config: Config) -> Self:
        # Standard retry mode backs off on throttling and 5xx; the timeouts bound one attempt.
        timeout = config.store_timeout
        boto = BotoConfig(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "max_attempts": 3},
        )
        with storage_errors(config.dynamodb_table):
            client = boto3.client("dynamodb", config=boto)
        return cls(client, config.dynamodb_table)

    def recent_records(
        self, since: datetime, chat_id: str | None, instance_id: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Records with eventAt >= since, newest first, from the byTime index (for `calls`),
        or of one instance from the byInstance index. StorageUnavailable while reading."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": RECORDS_INDEX,
            "KeyConditionExpression": "gsi1pk = :records AND eventAt >= :since",
            "ScanIndexForward": False,
        }
        values: dict[str, Any] = {":records": RECORDS_INDEX_KEY, ":since": since}
        if instance_id is not None:
            request["IndexName"] = INSTANCE_RECORDS_INDEX
            request["KeyConditionExpression"] = "gsi2pk = :records AND eventAt >= :since"
            values[":records"] = instance_records_key(instance_id)
        if chat_id is not None:
            request["FilterExpression"] = "chatId = :chat"
            values[":chat"] = chat_id
        request["ExpressionAttributeValues"] = to_item(values)
        yield from self._query(request, KEYS)

    def _query(self, request: dict[str, Any], internal: frozenset[str]) -> Iterator[dict[str, Any]]:
        """Every page of a query, each item's fields without the `internal` ones."""
        with storage_errors(self._table):
            while True:
                page = self._client.query(**request)
                for item in page.get("Items", []):
                    fields = from_item(item)
                    yield {name: fields[name] for name in fields.keys() - internal}
                if "LastEvaluatedKey" not in page:
                    return
                request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def chat_summaries(self, chat_keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = list(dict.fromkeys(chat_keys))
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            wanted = [
                {"pk": {"S": chat_pk(key)}, "sk": {"S": CHAT_SK}}
                for key in keys[start : start + BATCH_GET_LIMIT]
            ]
            for item in self._batch_get(wanted):
                fields = from_item(item)
                key = fields["pk"].removeprefix("CHAT#")
                found[key] = {name: fields[name] for name in fields.keys() - KEYS - {"version"}}
        return found

    def _batch_get(
        self, keys: list[dict[str, Any]], projection: str | None = None
    ) -> list[dict[str, Any]]:
        """Strongly consistent BatchGetItem; keys left unprocessed under load are asked again."""
        wanted: dict[str, Any] = {"Keys": keys, "ConsistentRead": True}
        if projection is not None:
            wanted["ProjectionExpression"] = projection
        request = {self._table: wanted}
        items: list[dict[str, Any]] = []
        with storage_errors(self._table):
            while request:
                answer = self._client.batch_get_item(RequestItems=request)
                items.extend(answer.get("Responses", {}).get(self._table, []))
                request = answer.get("UnprocessedKeys") or {}
        return items

    def load(self, call: CallNotification, send_logs: Sequence[str] = ()) -> write_plan.Snapshot:
        pk = chat_pk(call.chat_key)
        record_sk = RECORD_PREFIX + call.record_key
        check_key_size("chat id", pk, MAX_PARTITION_KEY_BYTES, "partition")
        check_key_size("record id", record_sk, MAX_SORT_KEY_BYTES, "sort")
        keys = [(pk, CHAT_SK), (pk, record_sk), *((send_log_pk(k), SEND_LOG_SK) for k in send_logs)]
        found = {
            (item["pk"]["S"], item["sk"]["S"]): item
            for item in self._batch_get([{"pk": {"S": p}, "sk": {"S": k}} for p, k in keys])
        }
        chat = chat_state(found.get((pk, CHAT_SK)))
        logs = {
            key: send_log(item)
            for key in send_logs
            if (item := found.get((send_log_pk(key), SEND_LOG_SK))) is not None
        }
        return write_plan.Snapshot(
            chat=chat, record_exists=(pk, record_sk) in found, send_logs=logs
        )

    def _get(self, keys: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The items found among `keys` (of one pk), by sk: one strongly consistent read."""
        return {item["sk"]["S"]: item for item in self._batch_get(keys)}

    def probe_chat(self, chat_key: str) -> bool:
        # An update that changes nothing (it removes an attribute no item has) on the condition
        # that the chat exists: never a read, and never an item for a chat that never called.
        try:
            with storage_errors(self._table):
                self._client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": chat_pk(chat_key)}, "sk": {"S": CHAT_SK}},
                    UpdateExpression="REMOVE #never",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#never": "neverSet"},
                )
        except WriteConflict:
            return False
        return True

    def load_chat(self, chat_key: str) -> write_plan.ChatState | None:
        key = {"pk": {"S": chat_pk(chat_key)}, "sk": {"S": CHAT_SK}}
        return chat_state(next(iter(self._batch_get([key])), None))

    def save_chat(self, chat_key: str, write: write_plan.ChatWrite) -> None:
        update = chat_update(self._table, chat_pk(chat_key), write)
        with storage_errors(self._table):
            if write.events:
                items = [update, *event_puts(self._table, write.events)]
                self._client.transact_write_items(TransactItems=items)
            else:
                self._client.update_item(**update["Update"])

    def link_person(
        self, chat_key: str, instance_id: int, chat_id: str, person: str, expire_at: datetime | None
    ) -> None:
        # A chat made here gets the version 1 a chat made by a call starts with.
        values: dict[str, Any] = {":p": person, ":i": instance_id, ":c": chat_id, ":v": 1}
        expression = (
            "SET #person = :p, instanceId = if_not_exists(instanceId, :i),"
            " chatId = if_not_exists(chatId, :c), version = if_not_exists(version, :v)"
        )
        if expire_at is not None:
            values[":e"] = expire_at
            expression += ", expireAt = if_not_exists(expireAt, :e)"
        with storage_errors(self._table):
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"pk": chat_pk(chat_key), "sk": CHAT_SK}),
                UpdateExpression=expression,
                ExpressionAttributeNames={"#person": write_plan.PERSON},
                ExpressionAttributeValues=to_item(values),
            )

    def is_reply(self, chat_key: str, message_id: str) -> bool:
        # One chat's partition, records only; replyId is filtered (a chat has few records).
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :records)",
            "FilterExpression": "replyId = :reply",
            "ProjectionExpression": "pk",
            "ExpressionAttributeValues": to_item(
                {":pk": chat_pk(chat_key), ":records": RECORD_PREFIX, ":reply": message_id}
            ),
        }
        return any(True for _ in self._query(request, KEYS))

    def save(self, plan: write_plan.WritePlan) -> None:
        pk = chat_pk(plan.chat_key)
        now = datetime.now(UTC)
        record = plan.record.fields() | {
            "pk": pk,
            "sk": RECORD_PREFIX + plan.record_key,
            "gsi1pk": RECORDS_INDEX_KEY,
            "gsi2pk": instance_records_key(plan.record.instance_id),
            "recordedAt": now,
        }
        put_record = put_new(self._table, record)
        writes = [chat_write(self._table, pk, plan)] if plan.chat is not None else []
        writes += [send_log_put(self._table, log) for log in plan.send_logs]
        writes += event_puts(self._table, plan.events)
        with storage_errors(self._table):
            if not writes:
                self._client.put_item(**put_record)
                return
            self._client.transact_write_items(TransactItems=[{"Put": put_record}, *writes])

    def update_record(self, chat_key: str, record_key: str, fields: dict[str, Any]) -> None:
        key = {"pk": chat_pk(chat_key), "sk": RECORD_PREFIX + record_key}
        with storage_errors(self._table):
            self._client.update_item(**update_existing(self._table, key, fields))

    def existing_records(self, keys: Sequence[RecordKey]) -> set[RecordKey]:
        found: set[RecordKey] = set()
        for start in range(0, len(keys), EXISTENCE_BATCH):
            chunk = {
                (chat_pk(chat_key), RECORD_PREFIX + record_key): (chat_key, record_key)
                for chat_key, record_key in keys[start : start + EXISTENCE_BATCH]
            }
            wanted = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in chunk]
            for item in self._batch_get(wanted, projection="pk, sk"):
                found.add(chunk[(item["pk"]["S"], item["sk"]["S"])])
        return found

    def chat_records_between(
        self, chat_key: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :records)",
            "FilterExpression": "eventAt BETWEEN :start AND :end",
            "ExpressionAttributeValues": to_item(
                {":pk": chat_pk(chat_key), ":records": RECORD_PREFIX, ":start": start, ":end": end}
            ),
            "ConsistentRead": True,
        }
        return list(self._query(request, frozenset()))

    def keep_rejected(self, rejected: Rejected) -> None:
        item = {
            "pk": f"REJECTED#{rejected.digest}",
            "sk": REJECTED_SK,
            **rejected.fields(MAX_REJECTED_BODY_BYTES),
        }
        with storage_errors(self._table):
            self._client.put_item(**put_new(self._table, item))

    def digest_claimed(self, day: str) -> bool:
        return bool(self._get([{"pk": {"S": f"DIGEST#{day}"}, "sk": {"S": DIGEST_SK}}]))

    def claim_digest(self, day: str, sent_at: datetime) -> None:
        item = {"pk": f"DIGEST#{day}", "sk": DIGEST_SK, "sentAt": sent_at}
        with storage_errors(self._table):
            self._client.put_item(**put_new(self._table, item))

    def release_digest(self, day: str) -> None:
        key = {"pk": f"DIGEST#{day}", "sk": DIGEST_SK}
        with storage_errors(self._table):
            self._client.delete_item(TableName=self._table, Key=to_item(key))

    def load_instance(self, instance_id: int) -> state_plan.StoredState | None:
        key = {"pk": {"S": instance_pk(instance_id)}, "sk": {"S": INSTANCE_SK}}
        item = self._get([key]).get(INSTANCE_SK)
        if item is None:
            return None
        data = from_item(item)
        return state_plan.StoredState(
            data.get("version", 0), str(data.get("state")), data["stateChangedAt"]
        )

    def save_instance(self, write: state_plan.StateWrite) -> None:
        kind, change = instance_write(self._table, write)
        with storage_errors(self._table):
            if write.events:
                items = [{kind: change}, *event_puts(self._table, write.events)]
                self._client.transact_write_items(TransactItems=items)
            elif write.create:
                self._client.put_item(**change)
            else:
                self._client.update_item(**change)

    def note_instance_health(self, instance_id: int, fields: dict[str, Any]) -> bool:
        key = {"pk": instance_pk(instance_id), "sk": INSTANCE_SK}
        try:
            with storage_errors(self._table):
                self._client.update_item(**update_existing(self._table, key, fields))
        except WriteConflict:
            return False  # no state stored yet
        return True

    def instance_states(self) -> Iterator[dict[str, Any]]:
        yield from self._index_items(INSTANCES_INDEX_KEY, KEYS | {"eventAt", "version"})

    def _index_items(self, index_key: str, internal: frozenset[str]) -> Iterator[dict[str, Any]]:
        """The items the byTime index lists under gsi1pk=`index_key`, without `internal` fields."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": RECORDS_INDEX,
            "KeyConditionExpression": "gsi1pk = :key",
            "ExpressionAttributeValues": to_item({":key": index_key}),
        }
        yield from self._query(request, internal)
