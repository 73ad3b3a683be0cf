"""Scheduled work spread on the cloud's own queue (issue 26, item 3): the scheduled run only
dispatches one task per instance; the queue calls the reconcile function with each, at its own
concurrency, and retries a failed task without holding up the others.

Google Cloud: the real functions-framework reconcile app, with Cloud Tasks played on loopback
(tests/support/fake_cloud_tasks.py). AWS: real SQS messages on moto's server, handed to the
reconcile Lambda handler in the SQS event shape as the event source mapping does."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import functions_framework
import pytest
from call_logger.flows.reporting import run_digest, scheduled_digest
from call_logger.settings.config import Config
from call_logger.stores.factory import make_store

from bench.scheduled_probe import CountingStore
from devserver.aws import load_lambda
from devserver.fake_green_api import FakeGreenApi
from tests.conftest import MAIN, journal_entry, post, records
from tests.support import fake_instances as many
from tests.support.backends import Backend
from tests.support.fake_cloud_tasks import FakeCloudTasks

servers = many.servers  # three fake GREEN-API instances, each its own server
EVENT = {"action": "reconcile", "since": "3h"}
QUEUE = "projects/my-project/locations/europe-west1/queues/call-logger-reconcile"
TASKS_URL = "https://europe-west1-my-project.cloudfunctions.net/call-logger-reconcile"
TASKS_ACCOUNT = "call-logger-tasks@my-project.iam.gserviceaccount.com"
CALLER = "79001234567@c.us"


@pytest.fixture
def instances_env(
    servers: list[FakeGreenApi], monkeypatch: pytest.MonkeyPatch
) -> list[FakeGreenApi]:
    """Three instances, each with one call in its journal that the log lacks; the first
    instance's journal fails once."""
    for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN", "GREEN_API_URL", "OPERATOR_CHAT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GREEN_API_INSTANCES", many.instance_map(*servers))
    monkeypatch.setenv("STORE_TIMEOUT", "2")
    monkeypatch.setenv("CONTACT_LOOKUP_BUDGET", "1")
    now = int(time.time())
    for n, fake in enumerate(servers):
        fake.journal = [journal_entry(CALLER, "missed", now - 600, f"CALL{n}")]
    servers[0].fail("lastIncomingCalls", status=503, times=1)
    return servers


def journal_calls(backend: Backend) -> set[tuple[int, str]]:
    return {(doc["instanceId"], doc["callId"]) for doc in records(backend).values()}


def every_instance_reconciled(fakes: list[FakeGreenApi]) -> set[tuple[int, str]]:
    return {(fake.instance_id, f"CALL{n}") for n, fake in enumerate(fakes)}


@pytest.mark.parametrize("backend", ["gcp"], indirect=True)
def test_cloud_tasks_carry_one_task_per_instance_and_retry_the_failed_one(
    instances_env: list[FakeGreenApi], backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    app: Any = None

    def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
        assert url == TASKS_URL
        answer = app.test_client().post("/", data=body, headers=headers)
        status: int = answer.status_code
        return status

    with FakeCloudTasks(deliver, concurrency=2) as queue:
        monkeypatch.setenv("RECONCILE_TASKS_QUEUE", QUEUE)
        monkeypatch.setenv("RECONCILE_TASKS_URL", TASKS_URL)
        monkeypatch.setenv("RECONCILE_TASKS_SERVICE_ACCOUNT", TASKS_ACCOUNT)
        monkeypatch.setenv("CLOUD_TASKS_API", queue.url)
        app = functions_framework.create_app(target="reconcile_calls", source=str(MAIN))

        # The scheduler's run: it only dispatches.
        answer = app.test_client().post("/", json=EVENT)
        assert (answer.status_code, answer.get_json()) == (200, {"dispatched": 3})
        queue.drain()

    assert sorted(task.body["instance"] for task in queue.tasks) == sorted(
        fake.instance_id for fake in instances_env
    )
    for task in queue.tasks:
        assert task.queue == QUEUE
        assert task.request["oidcToken"] == {
            "serviceAccountEmail": TASKS_ACCOUNT,
            "audience": TASKS_URL,
        }
    attempts = {task.body["instance"]: task.attempts for task in queue.tasks}
    first, *others = instances_env
    assert attempts[first.instance_id] == [500, 200]  # retried by the queue
    assert all(attempts[fake.instance_id] == [200] for fake in others)
    assert queue.most_running <= 2
    assert journal_calls(backend) == every_instance_reconciled(instances_env)


@pytest.fixture
def sqs_queue(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    environ = backend.environ()
    sqs = boto3.client(
        "sqs",
        endpoint_url=environ["AWS_ENDPOINT_URL_DYNAMODB"],  # moto's one server speaks SQS too
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    url = sqs.create_queue(QueueName=f"reconcile-tasks-{time.monotonic_ns()}")["QueueUrl"]
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", environ["AWS_ENDPOINT_URL_DYNAMODB"])
    monkeypatch.setenv("RECONCILE_SQS_QUEUE_URL", url)
    yield sqs, url
    sqs.delete_queue(QueueUrl=url)


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What the event source mapping hands the function for received messages."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


def receive(sqs: Any, url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1, WaitTimeSeconds=2
    )
    messages: list[dict[str, Any]] = answer.get("Messages", [])
    return messages


@pytest.mark.parametrize("backend", ["aws"], indirect=True)
def test_sqs_carries_one_task_per_instance_and_a_failure_is_retried_alone(
    instances_env: list[FakeGreenApi], backend: Backend, sqs_queue: tuple[Any, str]
) -> None:
    sqs, url = sqs_queue
    handler = load_lambda().reconcile_handler

    assert handler(EVENT, None) == {"dispatched": 3}  # the scheduler's run only dispatches

    batch = receive(sqs, url)
    assert sorted(json.loads(m["Body"])["instance"] for m in batch) == sorted(
        fake.instance_id for fake in instances_env
    )
    answer = handler(sqs_event(batch), None)
    by_id = {m["MessageId"]: json.loads(m["Body"])["instance"] for m in batch}
    failed = [by_id[item["itemIdentifier"]] for item in answer["batchItemFailures"]]
    assert failed == [instances_env[0].instance_id]
    # The mapping deletes what succeeded; the failed one comes back after its visibility timeout.
    for message in batch:
        if by_id[message["MessageId"]] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    time.sleep(1.5)
    again = receive(sqs, url)
    assert [json.loads(m["Body"])["instance"] for m in again] == failed
    assert handler(sqs_event(again), None) == {"batchItemFailures": []}
    assert journal_calls(backend) == every_instance_reconciled(instances_env)


def test_a_digest_reads_only_its_instance_and_nothing_once_claimed(
    servers: list[FakeGreenApi], make_client: Any, backend: Backend
) -> None:
    map_text = many.instance_map(*servers)
    client = make_client(GREEN_API_INSTANCES=map_text)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    for n, fake in enumerate(servers):
        for k in range(n + 1):  # 1, 2 and 3 calls
            body = many.call(fake.instance_id, "missed", idMessage=f"C{n}{k}")
            body["timestamp"] = int(yesterday.replace(hour=12, minute=k).timestamp())
            assert post(client, body).status_code == 200
    env = backend.environ() | {"GREEN_API_INSTANCES": map_text, "DIGEST_TIME": "00:00"}
    config = Config.from_env(env | {"STORE_TIMEOUT": "2"})
    shop = servers[0]
    settings = config.for_instance(shop.instance_id)
    store = CountingStore(make_store(config))

    digest = run_digest(store, settings, None, instance_id=shop.instance_id)

    assert digest.text.startswith("Calls yesterday: 1,")
    assert store.records_read == 1  # the other instances' five are never read
    store.claim_digest(f"{digest.day.isoformat()}_{shop.instance_id}", datetime.now(UTC))
    store.records_read = 0
    again = scheduled_digest(store, settings, None, instance_id=shop.instance_id)
    assert again is not None and again.already_sent
    assert store.records_read == 0


@pytest.mark.parametrize("backend", ["gcp"], indirect=True)
def test_a_task_reconciles_checks_and_sends_its_digest_on_one_client_of_each(
    servers: list[FakeGreenApi], backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database client or a GREEN-API session made for each part of a task would open its
    connection again (in the cloud: a TLS session, an access token)."""
    import call_logger.green_api as green_api
    from call_logger.flows.scheduled import run, task
    from call_logger.stores.firestore import FirestoreStore

    made: list[str] = []
    make_store_of, make_session = FirestoreStore.from_config, green_api.instance_session

    def store_of(cls: type[FirestoreStore], config: Config) -> FirestoreStore:
        made.append("database client")
        return make_store_of(config)

    def session(*args: Any, **options: Any) -> Any:
        made.append("GREEN-API session")
        return make_session(*args, **options)

    monkeypatch.setattr(FirestoreStore, "from_config", classmethod(store_of))
    monkeypatch.setattr(green_api, "instance_session", session)
    shop = servers[0]
    shop.journal = [journal_entry(CALLER, "missed", int(time.time()) - 600, "CALL0")]
    operator = {str(shop.instance_id): {"operatorChatId": "79990000000@c.us"}}
    env = {
        "GREEN_API_INSTANCES": many.instance_map(*servers, **operator),
        "DIGEST_TIME": "00:00",
        "STORE_TIMEOUT": "2",
        "CONTACT_LOOKUP_BUDGET": "1",
    }

    done = run(Config.from_env(backend.environ() | env), task(shop.instance_id, "3h"))

    assert (done.error, done.counts["added"]) == (None, 1)
    asked = {request.method for request in shop.requests}
    assert {"lastIncomingCalls", "getStateInstance", "getWebhooksCount", "sendMessage"} <= asked
    assert sorted(made) == ["GREEN-API session", "database client"]
