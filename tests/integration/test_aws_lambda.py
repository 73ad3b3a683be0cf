"""What only the Lambda entry point has: secrets from Secrets Manager and the event's shapes."""

from __future__ import annotations

import base64
import json

import boto3
import pytest

from devserver.aws import LambdaClient
from tests.conftest import TOKEN, ClientFactory, records, sample
from tests.support.backends import Backend

# Only the Lambda deployment: the `backend` fixture narrowed to "aws".
pytestmark = pytest.mark.parametrize("backend", ["aws"], indirect=True)


def test_tokens_come_from_secrets_manager(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=backend.environ()["AWS_ENDPOINT_URL_SECRETS_MANAGER"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    arn = secrets.create_secret(Name="webhook-token", SecretString="from-secrets-manager")["ARN"]
    monkeypatch.delenv("WEBHOOK_TOKEN", raising=False)
    monkeypatch.setenv("WEBHOOK_TOKEN_SECRET_ARN", arn)
    client = backend.load_client()
    body = sample("incoming-call-offer")
    bearer = {"Authorization": "Bearer from-secrets-manager"}
    assert client.post("/", json=body, headers=bearer).status_code == 200
    assert client.post("/", json=body, headers={"Authorization": "Bearer x"}).status_code == 401
    assert len(records(backend)) == 1


def test_plain_and_base64_bodies(make_client: ClientFactory, backend: Backend) -> None:
    client = make_client()
    assert isinstance(client, LambdaClient)
    handler = client._handler
    event = {
        "requestContext": {"http": {"method": "POST"}},
        "headers": {"authorization": f"Bearer {TOKEN}"},
        "body": json.dumps(sample("incoming-call-offer")),
        "isBase64Encoded": False,
    }
    assert handler(event, None)["statusCode"] == 200
    bad = event | {"body": "not base64!", "isBase64Encoded": True}
    assert handler(bad, None)["statusCode"] == 400
    pickup = json.dumps(sample("incoming-call-pickup")).encode()
    encoded = event | {"body": base64.b64encode(pickup).decode(), "isBase64Encoded": True}
    assert handler(encoded, None)["statusCode"] == 200
    assert len(records(backend)) == 2
    assert handler(event | {"body": None}, None)["statusCode"] == 400


def test_a_record_id_over_the_sort_key_limit_is_rejected_naming_the_limit(
    make_client: ClientFactory, backend: Backend
) -> None:
    # 1,100 bytes fit Firestore's 1,500-byte id but not DynamoDB's 1,024-byte sort key.
    body = sample("incoming-call-offer") | {"idMessage": "A" * 1100}
    assert (
        make_client().post("/", json=body, headers={"Authorization": f"Bearer {TOKEN}"}).status_code
        == 200
    )
    (kept,) = backend.documents().values()
    assert "over DynamoDB's 1024-byte sort key limit" in kept["reason"]
