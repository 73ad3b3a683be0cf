"""DynamoDB behind the Store protocol, with the same guarantees as Firestore.

One table (terraform/aws/dynamodb.tf), keys `pk` and `sk`:
  pk=CHAT#{idInstance}_{chatId}  sk=CHAT                      the chat summary (+ `version`)
  pk=CHAT#{idInstance}_{chatId}  sk=RECORD#{idMessage}_{status} one record per notification
  pk=REJECTED#{sha256}           sk=REJECTED                  notifications that can't be recorded
  pk=DIGEST#{YYYY-MM-DD}         sk=DIGEST                    the days whose digest was sent
  pk=INSTANCE#{idInstance}       sk=INSTANCE                  the instance's newest state
  pk=OUTBOX#{eventId}            sk=OUTBOX                    an event to deliver (docs/events.md)
  pk=RECEIVER#{sha256 of URL}    sk=RECEIVER                  a receiver that answered 410 Gone
  pk=SENDLOG#{idInstance}_{kind} sk=SENDLOG                   the sends of the last hour (send_caps)
Records also carry gsi1pk=RECORD so the `byTime` index (gsi1pk, eventAt) lists them newest first;
instance states carry gsi1pk=INSTANCE and eventAt=stateChangedAt, so `status` reads them from the
same index instead of scanning the table; so do outbox items (gsi1pk=OUTBOX, eventAt=createdAt).
The table's stream (NEW_IMAGE) carries each new outbox item to the delivery Lambda.
Timestamps are Unix seconds (numbers): DynamoDB has no timestamp type and its TTL wants seconds.

A load is one strongly consistent BatchGetItem; a save is one conditional write (a transaction when
the chat summary changes too), so redeliveries and races resolve exactly as on Firestore.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Self

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from call_logger.core.events import OutboxEvent
from call_logger.core.notification import CallNotification
from call_logger.core.send_caps import SENT_AT, WARNED_AT, SendLog, SendLogWrite
from call_logger.core.write_plan import (
    PERSON,
    ChatState,
    ChatWrite,
    Snapshot,
    StateWrite,
    StoredState,
    WritePlan,
)
from call_logger.settings.config import Config
from call_logger.stores.base import (
    EXISTENCE_BATCH,
    PermanentWriteError,
    RecordKey,
    Rejected,
    StorageMisconfigured,
    StorageUnavailable,
    WriteConflict,
)

CHAT_SK = "CHAT"
RECORD_PREFIX = "RECORD#"
REJECTED_SK = "REJECTED"
DIGEST_SK = "DIGEST"
INSTANCE_SK = "INSTANCE"
SEND_LOG_SK = "SENDLOG"
INSTANCES_INDEX_KEY = "INSTANCE"
OUTBOX_SK = "OUTBOX"
OUTBOX_PREFIX = "OUTBOX#"
RECEIVER_SK = "RECEIVER"
RECORDS_INDEX = "byTime"
RECORDS_INDEX_KEY = "RECORD"
INSTANCE_RECORDS_INDEX = "byInstance"  # gsi2pk = RECORD#{idInstance}, eventAt
BATCH_GET_LIMIT = 100  # keys per BatchGetItem
_KEYS = frozenset({"pk", "sk", "gsi1pk", "gsi2pk"})
# DynamoDB's key limits, in UTF-8 bytes (notification.MAX_ID_BYTES is Firestore's, and larger).
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
# An item holds at most 400 KB: a rejected body is cut below that.
MAX_REJECTED_BODY_BYTES = 350_000
TIMESTAMP_FIELDS = frozenset(
    {
        "eventAt",
        "recordedAt",
        "expireAt",
        "lastCallAt",
        "callerNameCheckedAt",
        "receivedAt",
        "lastMissedAt",
        "lastAnsweredAt",
        "lastOutgoingCallAt",
        "lastOutgoingMessageAt",
        "sentAt",
        "lastReplyAt",
        "stateChangedAt",
        "stateCheckedAt",
        "backlogCheckedAt",
        "createdAt",
        "firstAttemptAt",
        "lastAttemptAt",
        "failedAt",
        "goneAt",
        WARNED_AT,
    }
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_CONFLICT_CODES = {"ConditionalCheckFailedException", "TransactionConflictException"}
_CONFLICT_REASONS = {"ConditionalCheckFailed", "TransactionConflict"}


def chat_pk(chat_key: str) -> str:
    return f"CHAT#{chat_key}"


def send_log_pk(key: str) -> str:
    return f"SENDLOG#{key}"


def instance_records_key(instance_id: int) -> str:
    return f"{RECORDS_INDEX_KEY}#{instance_id}"


def instance_pk(instance_id: int) -> str:
    return f"INSTANCE#{instance_id}"


def to_item(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Store-neutral fields (datetimes included) as a DynamoDB item in the wire format."""
    return {name: _serializer.serialize(_to_dynamo(value)) for name, value in fields.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A wire-format item as plain fields, with timestamps as aware datetimes."""
    fields = {name: _deserializer.deserialize(value) for name, value in item.items()}
    for name in TIMESTAMP_FIELDS & fields.keys():
        if fields[name] is not None:
            fields[name] = datetime.fromtimestamp(float(fields[name]), UTC)
    for name, value in fields.items():
        if isinstance(value, Decimal):
            fields[name] = int(value) if value == value.to_integral_value() else float(value)
    return fields


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, datetime):
        return Decimal(str(round(value.timestamp(), 3)))
    return value


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
        with _storage_errors(config.dynamodb_table):
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
        yield from self._query(request, _KEYS)

    def _query(self, request: dict[str, Any], internal: frozenset[str]) -> Iterator[dict[str, Any]]:
        """Every page of a query, each item's fields without the `internal` ones."""
        with _storage_errors(self._table):
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
                found[key] = {name: fields[name] for name in fields.keys() - _KEYS - {"version"}}
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
        with _storage_errors(self._table):
            while request:
                answer = self._client.batch_get_item(RequestItems=request)
                items.extend(answer.get("Responses", {}).get(self._table, []))
                request = answer.get("UnprocessedKeys") or {}
        return items

    def load(self, call: CallNotification, send_logs: Sequence[str] = ()) -> Snapshot:
        pk = chat_pk(call.chat_key)
        record_sk = RECORD_PREFIX + call.record_key
        _check_key_size("chat id", pk, MAX_PARTITION_KEY_BYTES, "partition")
        _check_key_size("record id", record_sk, MAX_SORT_KEY_BYTES, "sort")
        keys = [(pk, CHAT_SK), (pk, record_sk), *((send_log_pk(k), SEND_LOG_SK) for k in send_logs)]
        found = {
            (item["pk"]["S"], item["sk"]["S"]): item
            for item in self._batch_get([{"pk": {"S": p}, "sk": {"S": k}} for p, k in keys])
        }
        chat = _chat_state(found.get((pk, CHAT_SK)))
        logs = {
            key: _send_log(item)
            for key in send_logs
            if (item := found.get((send_log_pk(key), SEND_LOG_SK))) is not None
        }
        return Snapshot(chat=chat, record_exists=(pk, record_sk) in found, send_logs=logs)

    def _get(self, keys: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The items found among `keys` (of one pk), by sk: one strongly consistent read."""
        return {item["sk"]["S"]: item for item in self._batch_get(keys)}

    def probe_chat(self, chat_key: str) -> bool:
        # An update that changes nothing (it removes an attribute no item has) on the condition
        # that the chat exists: never a read, and never an item for a chat that never called.
        try:
            with _storage_errors(self._table):
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

    def load_chat(self, chat_key: str) -> ChatState | None:
        key = {"pk": {"S": chat_pk(chat_key)}, "sk": {"S": CHAT_SK}}
        return _chat_state(next(iter(self._batch_get([key])), None))

    def save_chat(self, chat_key: str, write: ChatWrite) -> None:
        update = self._chat_update(chat_pk(chat_key), write)
        with _storage_errors(self._table):
            if write.events:
                items = [update, *self._event_puts(write.events)]
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
        with _storage_errors(self._table):
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"pk": chat_pk(chat_key), "sk": CHAT_SK}),
                UpdateExpression=expression,
                ExpressionAttributeNames={"#person": PERSON},
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
        return any(True for _ in self._query(request, _KEYS))

    def save(self, plan: WritePlan) -> None:
        pk = chat_pk(plan.chat_key)
        now = datetime.now(UTC)
        record = plan.record.fields() | {
            "pk": pk,
            "sk": RECORD_PREFIX + plan.record_key,
            "gsi1pk": RECORDS_INDEX_KEY,
            "gsi2pk": instance_records_key(plan.record.instance_id),
            "recordedAt": now,
        }
        put_record = {
            "TableName": self._table,
            "Item": to_item(record),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        writes = [self._chat_write(pk, plan)] if plan.chat is not None else []
        writes += [self._send_log_write(log) for log in plan.send_logs]
        writes += self._event_puts(plan.events)
        with _storage_errors(self._table):
            if not writes:
                self._client.put_item(**put_record)
                return
            self._client.transact_write_items(TransactItems=[{"Put": put_record}, *writes])

    def _event_puts(self, events: Sequence[OutboxEvent]) -> list[dict[str, Any]]:
        """Outbox items for a transaction with what they tell of (docs/events.md)."""
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        event.fields()
                        | {
                            "pk": OUTBOX_PREFIX + event.id,
                            "sk": OUTBOX_SK,
                            "gsi1pk": OUTBOX_SK,
                            "eventAt": event.created_at,
                        }
                    ),
                }
            }
            for event in events
        ]

    def _send_log_write(self, log: SendLogWrite) -> dict[str, Any]:
        """A cap's claim: the log as read (its version) or not yet there, else no commit."""
        fields = dict(log.fields)
        fields[SENT_AT] = [_to_dynamo(at) for at in fields[SENT_AT]]
        version = 1 if log.create else log.version + 1
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_item(
                fields | {"pk": send_log_pk(log.key), "sk": SEND_LOG_SK, "version": version}
            ),
        }
        if log.create:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#version = :expected"
            put["ExpressionAttributeNames"] = {"#version": "version"}
            put["ExpressionAttributeValues"] = to_item({":expected": log.version})
        return {"Put": put}

    def _chat_write(self, pk: str, plan: WritePlan) -> dict[str, Any]:
        assert plan.chat is not None
        if plan.chat.create:
            item = plan.chat.fields | {"pk": pk, "sk": CHAT_SK, "version": 1}
            return {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        return self._chat_update(pk, plan.chat)

    def _chat_update(self, pk: str, write: ChatWrite) -> dict[str, Any]:
        assignments, names, values = _assignments(write.fields)
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": {"S": pk}, "sk": {"S": CHAT_SK}},
                # The version is the precondition: the chat must be as it was read.
                "UpdateExpression": "SET " + ", ".join([*assignments, "#version = :next"]),
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": names | {"#version": "version"},
                "ExpressionAttributeValues": to_item(
                    values | {":expected": write.version, ":next": write.version + 1}
                ),
            }
        }

    def update_record(self, chat_key: str, record_key: str, fields: dict[str, Any]) -> None:
        assignments, names, values = _assignments(fields)
        with _storage_errors(self._table):
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"pk": chat_pk(chat_key), "sk": RECORD_PREFIX + record_key}),
                UpdateExpression="SET " + ", ".join(assignments),
                # Only an existing record: an update must never create a bare item.
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )

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
        with _storage_errors(self._table):
            self._client.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )

    def digest_claimed(self, day: str) -> bool:
        return bool(self._get([{"pk": {"S": f"DIGEST#{day}"}, "sk": {"S": DIGEST_SK}}]))

    def claim_digest(self, day: str, sent_at: datetime) -> None:
        item = {"pk": f"DIGEST#{day}", "sk": DIGEST_SK, "sentAt": sent_at}
        with _storage_errors(self._table):
            self._client.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )

    def release_digest(self, day: str) -> None:
        key = {"pk": f"DIGEST#{day}", "sk": DIGEST_SK}
        with _storage_errors(self._table):
            self._client.delete_item(TableName=self._table, Key=to_item(key))

    def load_instance(self, instance_id: int) -> StoredState | None:
        key = {"pk": {"S": instance_pk(instance_id)}, "sk": {"S": INSTANCE_SK}}
        item = self._get([key]).get(INSTANCE_SK)
        if item is None:
            return None
        data = from_item(item)
        return StoredState(data.get("version", 0), str(data.get("state")), data["stateChangedAt"])

    def save_instance(self, write: StateWrite) -> None:
        version = 1 if write.create else write.version + 1
        fields = write.fields | {
            "gsi1pk": INSTANCES_INDEX_KEY,
            "eventAt": write.fields["stateChangedAt"],
            "version": version,
        }
        key = {"pk": instance_pk(write.instance_id), "sk": INSTANCE_SK}
        change: dict[str, Any]
        if write.create:
            kind = "Put"
            change = {
                "TableName": self._table,
                "Item": to_item(fields | key),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        else:
            # An update, not a put: the health check's fields (note_instance_health) stay.
            kind = "Update"
            assignments, names, values = _assignments(fields)
            change = {
                "TableName": self._table,
                "Key": to_item(key),
                "UpdateExpression": "SET " + ", ".join(assignments),
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": names | {"#version": "version"},
                "ExpressionAttributeValues": to_item(values | {":expected": write.version}),
            }
        with _storage_errors(self._table):
            if write.events:
                items = [{kind: change}, *self._event_puts(write.events)]
                self._client.transact_write_items(TransactItems=items)
            elif write.create:
                self._client.put_item(**change)
            else:
                self._client.update_item(**change)

    def note_instance_health(self, instance_id: int, fields: dict[str, Any]) -> bool:
        assignments, names, values = _assignments(fields)
        try:
            with _storage_errors(self._table):
                self._client.update_item(
                    TableName=self._table,
                    Key=to_item({"pk": instance_pk(instance_id), "sk": INSTANCE_SK}),
                    UpdateExpression="SET " + ", ".join(assignments),
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=to_item(values),
                )
        except WriteConflict:
            return False  # no state stored yet
        return True

    def instance_states(self) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": RECORDS_INDEX,
            "KeyConditionExpression": "gsi1pk = :instances",
            "ExpressionAttributeValues": to_item({":instances": INSTANCES_INDEX_KEY}),
        }
        yield from self._query(request, _KEYS | {"eventAt", "version"})


def _send_log(item: Mapping[str, Any]) -> SendLog:
    data = from_item(item)
    sent_at = tuple(datetime.fromtimestamp(float(at), UTC) for at in data.get(SENT_AT) or ())
    return SendLog(data.get("version", 0), sent_at, data.get(WARNED_AT))


def _chat_state(item: Mapping[str, Any] | None) -> ChatState | None:
    if item is None:
        return None
    data = from_item(item)
    return ChatState.from_fields(data.get("version", 0), data)


def _assignments(fields: Mapping[str, Any]) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """SET assignments for `fields`, with placeholder names (any field name is safe) and values."""
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":v{i}": value for i, value in enumerate(fields.values())}
    return [f"#f{i} = :v{i}" for i in range(len(names))], names, values


def _check_key_size(what: str, key: str, limit: int, kind: str) -> None:
    """A key over DynamoDB's limit can never be stored: say which limit, not just "refused"."""
    size = len(key.encode("utf-8"))
    if size > limit:
        raise PermanentWriteError(
            f"the {what} is {size} bytes as a key, over DynamoDB's {limit}-byte {kind} key limit"
        )


@contextmanager
def _storage_errors(table: str) -> Iterator[None]:
    """Translate botocore errors into the Store protocol's three kinds."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        reasons = {
            reason.get("Code", "") for reason in error.response.get("CancellationReasons", [])
        }
        if code in _CONFLICT_CODES or reasons & _CONFLICT_REASONS:
            raise WriteConflict(code) from error
        if code == "ValidationException" or "ValidationError" in reasons:
            raise PermanentWriteError(str(error)) from error
        if code == "ResourceNotFoundException":
            raise StorageMisconfigured(
                f"DynamoDB table {table!r} was not found: create it (terraform/aws) or set "
                f"DYNAMODB_TABLE and the region to an existing one. {error}"
            ) from error
        # Throttling, 5xx or permissions: an operator or a moment can cure these.
        raise StorageUnavailable(f"DynamoDB {code}: {error}") from error
    except BotoCoreError as error:
        raise StorageUnavailable(f"DynamoDB unreachable: {error}") from error
