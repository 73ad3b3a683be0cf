"""The AWS delivery path: outbox items as DynamoDB Streams records (read from moto's real stream
with get_records) in the shape Lambda's event source mapping hands the events handler."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devserver.aws import load_lambda
from tests.conftest import TOKEN, post, sample
from tests.support.backends import TABLE, AwsBackend, Backend
from tests.support.receiver import Receiver, running_receiver

SECRET = "whsec_" + base64.b64encode(b"stream-receiver-secret-32-bytes!").decode()


@pytest.fixture
def aws(aws_backend: AwsBackend, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> AwsBackend:
    """The moto table, emptied, and the function's settings with EVENTS_URL."""
    settings = {"WEBHOOK_TOKEN": TOKEN, "EVENTS_URL": receiver.url, "EVENTS_SECRET": SECRET}
    for name, value in (aws_backend.environ() | settings).items():
        monkeypatch.setenv(name, value)
    for name in ("GREEN_API_INSTANCES", "GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    aws_backend.reset()
    return aws_backend


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver(SECRET) as running:
        yield running


def stream_event(backend: AwsBackend) -> dict[str, Any]:
    """Every record of the table's stream so far, as Lambda's mapping delivers a batch."""
    streams = boto3.client(
        "dynamodbstreams",
        endpoint_url=backend.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    arn = backend.client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    return {"Records": [record | {"eventSourceARN": arn} for record in records]}


def outbox(backend: Backend) -> list[str]:
    return [path for path in backend.documents() if path.startswith("outbox/")]


def test_the_stream_delivers_the_new_outbox_item_once(aws: AwsBackend, receiver: Receiver) -> None:
    client = aws.load_client()
    assert post(client, sample("incoming-call-missed")).status_code == 200
    assert post(client, sample("incoming-call-missed")).status_code == 200  # redelivered
    batch = stream_event(aws)
    assert {record["eventName"] for record in batch["Records"]} == {"INSERT"}
    handler = load_lambda().events_handler
    assert handler(batch, None) == {"batchItemFailures": []}
    (received,) = receiver.received
    assert received.verified and received.body["type"] == "call.recorded"
    assert outbox(aws) == []
    assert handler(batch, None) == {"batchItemFailures": []}  # the mapping's retry: nothing left
    assert len(receiver.received) == 1


def test_an_event_not_taken_is_reported_so_the_mapping_retries_from_it(
    aws: AwsBackend, receiver: Receiver
) -> None:
    receiver.answers.append(503)
    client = aws.load_client()
    post(client, sample("incoming-call-missed"))
    batch = stream_event(aws)
    (outbox_record,) = [
        record
        for record in batch["Records"]
        if record["dynamodb"]["Keys"]["pk"]["S"].startswith("OUTBOX#")
    ]
    handler = load_lambda().events_handler
    sequence = outbox_record["dynamodb"]["SequenceNumber"]
    assert handler(batch, None) == {"batchItemFailures": [{"itemIdentifier": sequence}]}
    assert handler(batch, None) == {"batchItemFailures": []}  # the retry is taken
    assert [item.status for item in receiver.received] == [503, 200]
    assert outbox(aws) == []
