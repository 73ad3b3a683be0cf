"""The writes a save is made of, as DynamoDB transaction items: a chat's create or versioned
update, a cap's send log, the outbox items of the events it causes (docs/events.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from call_logger.core.events import OutboxEvent
from call_logger.core.send_caps import SENT_AT, SendLogWrite
from call_logger.core.state_plan import StateWrite
from call_logger.core.write_plan import ChatWrite, WritePlan
from call_logger.stores.dynamodb_items import (
    CHAT_SK,
    INSTANCE_SK,
    INSTANCES_INDEX_KEY,
    OUTBOX_PREFIX,
    OUTBOX_SK,
    SEND_LOG_SK,
    instance_pk,
    send_log_pk,
    to_dynamo,
    to_item,
    update_parts,
)


def event_puts(table: str, events: Sequence[OutboxEvent]) -> list[dict[str, Any]]:
    """Outbox items for a transaction with what they tell of (docs/events.md)."""
    return [
        {
            "Put": {
                "TableName": table,
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


def send_log_put(table: str, log: SendLogWrite) -> dict[str, Any]:
    """A cap's claim: the log as read (its version) or not yet there, else no commit."""
    fields = dict(log.fields)
    fields[SENT_AT] = [to_dynamo(at) for at in fields[SENT_AT]]
    version = 1 if log.create else log.version + 1
    put: dict[str, Any] = {
        "TableName": table,
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


def chat_write(table: str, pk: str, plan: WritePlan) -> dict[str, Any]:
    assert plan.chat is not None
    if plan.chat.create:
        return {"Put": put_new(table, plan.chat.fields | {"pk": pk, "sk": CHAT_SK, "version": 1})}
    return chat_update(table, pk, plan.chat)


def chat_update(table: str, pk: str, write: ChatWrite) -> dict[str, Any]:
    assignments, names, values = update_parts(write.fields)
    return {
        "Update": {
            "TableName": table,
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


def put_new(table: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A put that only creates: an item already there fails it (WriteConflict)."""
    return {
        "TableName": table,
        "Item": to_item(fields),
        "ConditionExpression": "attribute_not_exists(pk)",
    }


def instance_write(table: str, write: StateWrite) -> tuple[str, dict[str, Any]]:
    """The instance state's write ("Put" or "Update") as the instance was read (its version)."""
    version = 1 if write.create else write.version + 1
    fields = write.fields | {
        "gsi1pk": INSTANCES_INDEX_KEY,
        "eventAt": write.fields["stateChangedAt"],
        "version": version,
    }
    key = {"pk": instance_pk(write.instance_id), "sk": INSTANCE_SK}
    if write.create:
        return "Put", put_new(table, fields | key)
    # An update, not a put: the health check's fields (note_instance_health) stay.
    assignments, names, values = update_parts(fields)
    return "Update", {
        "TableName": table,
        "Key": to_item(key),
        "UpdateExpression": "SET " + ", ".join(assignments),
        "ConditionExpression": "#version = :expected",
        "ExpressionAttributeNames": names | {"#version": "version"},
        "ExpressionAttributeValues": to_item(values | {":expected": write.version}),
    }


def update_existing(table: str, key: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """An update of `fields` that only an existing item takes: an update must never create a
    bare item (WriteConflict where there is none)."""
    assignments, names, values = update_parts(fields)
    return {
        "TableName": table,
        "Key": to_item(key),
        "UpdateExpression": "SET " + ", ".join(assignments),
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_item(values),
    }
