"""DynamoDB items: the keys of the one table, store-neutral fields to and from the wire format,
and botocore's errors as the Store protocol's. The store (stores/dynamodb.py), its writes
(stores/dynamodb_writes.py) and the outbox (stores/dynamodb_outbox.py) build on it.

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
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from call_logger.core.send_caps import SENT_AT, WARNED_AT, SendLog
from call_logger.core.write_plan import ChatState
from call_logger.stores.base import (
    PermanentWriteError,
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
KEYS = frozenset({"pk", "sk", "gsi1pk", "gsi2pk"})
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
    return {name: _serializer.serialize(to_dynamo(value)) for name, value in fields.items()}


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


def to_dynamo(value: Any) -> Any:
    if isinstance(value, datetime):
        return Decimal(str(round(value.timestamp(), 3)))
    return value


def send_log(item: Mapping[str, Any]) -> SendLog:
    data = from_item(item)
    sent_at = tuple(datetime.fromtimestamp(float(at), UTC) for at in data.get(SENT_AT) or ())
    return SendLog(data.get("version", 0), sent_at, data.get(WARNED_AT))


def chat_state(item: Mapping[str, Any] | None) -> ChatState | None:
    if item is None:
        return None
    data = from_item(item)
    return ChatState.from_fields(data.get("version", 0), data)


def update_parts(fields: Mapping[str, Any]) -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """SET assignments for `fields`, with placeholder names (any field name is safe) and values."""
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":v{i}": value for i, value in enumerate(fields.values())}
    return [f"#f{i} = :v{i}" for i in range(len(names))], names, values


def check_key_size(what: str, key: str, limit: int, kind: str) -> None:
    """A key over DynamoDB's limit can never be stored: say which limit, not just "refused"."""
    size = len(key.encode("utf-8"))
    if size > limit:
        raise PermanentWriteError(
            f"the {what} is {size} bytes as a key, over DynamoDB's {limit}-byte {kind} key limit"
        )


@contextmanager
def storage_errors(table: str) -> Iterator[None]:
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
