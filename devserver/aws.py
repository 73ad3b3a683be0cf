"""The AWS deployment on this machine: the table of terraform/aws/dynamodb.tf and
function/lambda_function.py called with the events a Lambda Function URL sends.

`make run STORE=dynamodb` serves it over HTTP; the tests call it directly.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

LAMBDA = Path(__file__).resolve().parents[1] / "function" / "lambda_function.py"


def load_lambda() -> Any:
    """function/lambda_function.py as a fresh module, as Lambda loads it at a cold start (the
    configuration is read at import), and as create_app does for main.py."""
    if str(LAMBDA.parent) not in sys.path:  # its imports, as Lambda's task root
        sys.path.insert(0, str(LAMBDA.parent))
    spec = importlib.util.spec_from_file_location("lambda_function", LAMBDA)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lambda_function"] = module
    spec.loader.exec_module(module)
    return module


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
            {"AttributeName": "gsi2pk", "AttributeType": "S"},
            {"AttributeName": "eventAt", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": key, "KeyType": "HASH"},
                    {"AttributeName": "eventAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, key in (("byTime", "gsi1pk"), ("byInstance", "gsi2pk"))
        ],
        # New outbox items reach the events Lambda through the stream (docs/events.md).
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )


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
