"""The two deployments under one test interface, so one behaviour suite runs against both:

- gcp: function/main.py in the real functions-framework app, Firestore in the official emulator;
- aws: function/lambda_function.py with Function URL (payload 2.0) events, DynamoDB in a moto
  server on 127.0.0.1.

A backend's `documents()` shows what a person would see, in the Firestore layout's paths and
field names for both (DynamoDB items are mapped back), so assertions are written once.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import boto3
import functions_framework
from call_logger.dynamodb_store import CHAT_SK, RECORD_PREFIX, from_item, to_item
from google.cloud import firestore
from moto.server import ThreadedMotoServer

from tests.support.emulator import FirestoreEmulator, free_port

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "function" / "main.py"
LAMBDA = ROOT / "function" / "lambda_function.py"
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
                for internal in ("gsi1pk", "version"):
                    fields.pop(internal, None)
                if path.startswith("instances/"):
                    fields.pop("eventAt")  # the byTime index key, a copy of stateChangedAt
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


def load_lambda() -> Any:
    """function/lambda_function.py as a fresh module, as create_app does for main.py (the
    configuration is read at import, as at a cold start)."""
    spec = importlib.util.spec_from_file_location("lambda_function", LAMBDA)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lambda_function"] = module
    spec.loader.exec_module(module)
    return module


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


def create_table(client: Any, name: str) -> None:
    """The table of terraform/aws/dynamodb.tf."""
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "gsi1pk", "AttributeType": "S"},
            {"AttributeName": "eventAt", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byTime",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "eventAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def _path(pk: str, sk: str) -> str:
    kind, _, key = pk.partition("#")
    if kind == "REJECTED":
        return f"rejected/{key}"
    if kind == "DIGEST":
        return f"digests/{key}"
    if kind == "INSTANCE":
        return f"instances/{key}"
    if sk == CHAT_SK:
        return f"chats/{key}"
    return f"chats/{key}/records/{sk.removeprefix(RECORD_PREFIX)}"


def _key(path: str) -> dict[str, str]:
    parts = path.split("/")
    if parts[0] == "rejected":
        return {"pk": f"REJECTED#{parts[1]}", "sk": "REJECTED"}
    if parts[0] == "instances":
        return {"pk": f"INSTANCE#{parts[1]}", "sk": "INSTANCE"}
    if len(parts) == 2:
        return {"pk": f"CHAT#{parts[1]}", "sk": CHAT_SK}
    return {"pk": f"CHAT#{parts[1]}", "sk": RECORD_PREFIX + parts[3]}


class LambdaAnswer:
    def __init__(self, result: dict[str, Any]) -> None:
        self.status_code: int = result["statusCode"]
        self.text: str = result.get("body", "")


class LambdaClient:
    """Builds the events a Lambda Function URL sends (payload 2.0) and calls the handler."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler

    def open(
        self,
        method: str,
        data: bytes | str | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> LambdaAnswer:
        if json_body is not None:
            data = json.dumps(json_body)
        raw = data.encode() if isinstance(data, str) else (data or b"")
        event = {
            "version": "2.0",
            "rawPath": "/",
            "headers": {key.lower(): value for key, value in (headers or {}).items()}
            | {"content-type": content_type},
            "requestContext": {"http": {"method": method, "path": "/"}},
            # Function URLs base64-encode bodies that are not text; do so for every body here,
            # so the decoding path is the one exercised.
            "body": base64.b64encode(raw).decode(),
            "isBase64Encoded": True,
        }
        result: dict[str, Any] = self._handler(event, None)
        return LambdaAnswer(result)

    def post(self, path: str, **kwargs: Any) -> LambdaAnswer:
        return self._call("POST", kwargs)

    def get(self, path: str, **kwargs: Any) -> LambdaAnswer:
        return self._call("GET", kwargs)

    def put(self, path: str, **kwargs: Any) -> LambdaAnswer:
        return self._call("PUT", kwargs)

    def _call(self, method: str, kwargs: dict[str, Any]) -> LambdaAnswer:
        return self.open(
            method,
            data=kwargs.get("data"),
            json_body=kwargs.get("json"),
            headers=kwargs.get("headers"),
            content_type=kwargs.get("content_type", "application/json"),
        )
