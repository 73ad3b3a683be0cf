"""AWS Lambda adapter: a Function URL / API Gateway HTTP API (payload 2.0) event in, the same
answer as the Cloud Function out. Nothing heavy is imported unless secrets must be fetched."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from typing import Any

from .webhook import Webhook

# Secrets Manager ARNs (terraform/aws) for the settings that must not be plain variables.
SECRET_SETTINGS = {
    "WEBHOOK_TOKEN": "WEBHOOK_TOKEN_SECRET_ARN",
    "GREEN_API_TOKEN": "GREEN_API_TOKEN_SECRET_ARN",
    # The instance map holds every instance's token. No version is named: a new secret version
    # (an instance added) is read at the next cold start.
    "GREEN_API_INSTANCES": "GREEN_API_INSTANCES_SECRET_ARN",
}


def environ_with_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment, with each secret setting read from Secrets Manager where an ARN is given
    and the setting itself is not. Runs once, at cold start."""
    env = dict(environ)
    wanted = {
        name: environ[arn]
        for name, arn in SECRET_SETTINGS.items()
        if not environ.get(name) and environ.get(arn)
    }
    if wanted:
        import boto3

        client = boto3.client("secretsmanager")
        for name, arn in wanted.items():
            env[name] = client.get_secret_value(SecretId=arn)["SecretString"]
    return env


def handle_event(webhook: Webhook, event: Mapping[str, Any]) -> dict[str, Any]:
    http = (event.get("requestContext") or {}).get("http") or {}
    method = http.get("method") or event.get("httpMethod") or ""
    # Payload 2.0 lower-cases header names.
    headers = {str(key).lower(): value for key, value in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            # Method and token are checked first, as for every other body; a body that cannot
            # be read names no instance, so only WEBHOOK_TOKEN can vouch for it.
            authorization = headers.get("authorization")
            refusal = webhook.refusal(method, authorization, None) or webhook.token_refusal(
                authorization, None
            )
            if refusal is not None:
                return _answer(refusal.status, refusal.text)
            return _answer(400, "Bad Request: body is not base64")
    else:
        raw = body.encode("utf-8", errors="surrogatepass")
    request_id = (event.get("requestContext") or {}).get("requestId")
    reply = webhook.handle(
        method,
        headers.get("authorization"),
        len(raw),
        io.BytesIO(raw).read,
        {"requestId": request_id} if request_id else None,
    )
    return _answer(reply.status, reply.text)


def _answer(status: int, text: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "text/plain"}, "body": text}
