"""The two deployments under one test interface, so one behaviour suite runs against both:

- gcp: function/main.py in the real functions-framework app, Firestore in the official emulator;
- aws: function/lambda_function.py with Function URL (payload 2.0) events, DynamoDB in a moto
  server on 127.0.0.1.

A backend's `documents()` shows what a person would see, in the Firestore layout's paths and
field names for both (DynamoDB items are mapped back), so assertions are written once.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import boto3
import functions_framework
from call_logger.stores.dynamodb_items import CHAT_SK, RECORD_PREFIX, from_item, to_item
from google.cloud import firestore
from moto.server import ThreadedMotoServer

from devserver.aws import LambdaClient, create_table, load_lambda
from devserver.emulator import FirestoreEmulator, free_port

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "function" / "main.py"
TABLE = "green-call-logger-test"


class Answer(Protocol):
    @property
    def status_code(self) -> int: ...


class Client(Protocol):
    """The part of Flask's test client the suite uses; the Lambda client speaks it too."""

    def post(self, path: str, **kwargs: Any) -> Answer: ...

    def get(self, path: str, **kwargs: Any) -> Answer: ...

    def put(self, path: str, **kwargs: Any) -> Answer: ...


class Backend(Protocol):
    name: str

    def environ(self) -> dict[str, str]: ...

    def reset(self) -> None: ...

    def load_client(self) -> Client:
        """Load the entry point afresh (as a cold start does) with the current environment."""
        ...

    def documents(self) -> dict[str, dict[str, Any]]: ...

    def set_field(self, path: str, name: str, value: Any) -> None: ...

    def outage(self) -> Any:
        """A context manager inside which storage is down; data survives it."""
        ...


class GcpBackend:
    name = "gcp"

    def __init__(self, emulator: FirestoreEmulator) -> None:
        self.emulator = emulator
        self._db: firestore.Client | None = None

    @property
    def db(self) -> firestore.Client:
        # Made on first use, once the environment points the client library at the emulator.
        if self._db is None:
            self._db = firestore.Client(project=self.emulator.project)
        return self._db

    def environ(self) -> dict[str, str]:
        return self.emulator.environ()

    def reset(self) -> None:
        self.emulator.wipe()

    def load_client(self) -> Client:
        app = functions_framework.create_app(target="handle_webhook", source=str(MAIN))
        client: Client = app.test_client()
        return client

    def documents(self) -> dict[str, dict[str, Any]]:
        return firestore_documents(self.db)

    def set_field(self, path: str, name: str, value: Any) -> None:
        self.db.document(path).update({name: value})

    @contextmanager
    def outage(self) -> Iterator[None]:
        self.emulator.stop(keep_data=True)
        try:
            yield
        finally:
            self.emulator.start()


class AwsBackend:
    name = "aws"

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self.client = boto3.client(
            "dynamodb",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def stop(self) -> None:
        self._server.stop()

    def environ(self) -> dict[str, str]:
        return {
            "STORE": "dynamodb",
            "DYNAMODB_TABLE": TABLE,
            "AWS_ENDPOINT_URL_DYNAMODB": self.url,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        create_table(self.client, TABLE)

    def load_client(self) -> Client:
        return LambdaClient(load_lambda().lambda_handler)

    def documents(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for page in self.client.get_paginator("scan").paginate(TableName=TABLE):
            for item in page["Items"]:
                fields = from_item(item)
                path = _path(fields.pop("pk"), fields.pop("sk"))
                for internal in ("gsi1pk", "gsi2pk", "version"):
                    fields.pop(internal, None)
                if path.startswith(("instances/", "outbox/")):
                    fields.pop("eventAt")  # the byTime index key, a copy of a time it has
                found[path] = fields
        return found

    def set_field(self, path: str, name: str, value: Any) -> None:
        key = _key(path)
        self.client.update_item(
            TableName=TABLE,
            Key=to_item(key),
            UpdateExpression="SET #n = :v",
            ExpressionAttributeNames={"#n": name},
            ExpressionAttributeValues=to_item({":v": value}),
        )

    @contextmanager
    def outage(self) -> Iterator[None]:
        self._server.stop()  # moto keeps its data in this process
        try:
            yield
        finally:
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
            self._server.start()


def firestore_documents(db: firestore.Client) -> dict[str, dict[str, Any]]:
    """Every document by path: what a person would see in the console."""
    found: dict[str, dict[str, Any]] = {}
    for collection in db.collections():
        for doc in collection.stream():
            found[doc.reference.path] = doc.to_dict() or {}
            for sub in doc.reference.collections():
                for child in sub.stream():
                    found[child.reference.path] = child.to_dict() or {}
    return found


# The DynamoDB kinds (pk=KIND#key, sk=KIND) that are Firestore collections of their own.
_COLLECTIONS = {
    "REJECTED": "rejected",
    "DIGEST": "digests",
    "INSTANCE": "instances",
    "OUTBOX": "outbox",
    "RECEIVER": "eventReceivers",
    "SENDLOG": "sendLogs",
}


def _path(pk: str, sk: str) -> str:
    kind, _, key = pk.partition("#")
    if kind in _COLLECTIONS:
        return f"{_COLLECTIONS[kind]}/{key}"
    if sk == CHAT_SK:
        return f"chats/{key}"
    return f"chats/{key}/records/{sk.removeprefix(RECORD_PREFIX)}"


def _key(path: str) -> dict[str, str]:
    parts = path.split("/")
    kinds = {collection: kind for kind, collection in _COLLECTIONS.items()}
    if parts[0] in kinds:
        return {"pk": f"{kinds[parts[0]]}#{parts[1]}", "sk": kinds[parts[0]]}
    if len(parts) == 2:
        return {"pk": f"CHAT#{parts[1]}", "sk": CHAT_SK}
    return {"pk": f"CHAT#{parts[1]}", "sk": RECORD_PREFIX + parts[3]}
