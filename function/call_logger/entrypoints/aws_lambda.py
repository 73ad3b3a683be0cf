"""AWS Lambda adapter: a Function URL / API Gateway HTTP API (payload 2.0) event in, the same
answer as the Cloud Function out. Nothing heavy is imported unless secrets must be fetched."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping, Sequence
from typing import Any

from call_logger.entrypoints.http import Webhook
from call_logger.settings.config import Config

# Secrets Manager ARNs (terraform/aws) for the settings that must not be plain variables.
SECRET_SETTINGS = {
    "WEBHOOK_TOKEN": "WEBHOOK_TOKEN_SECRET_ARN",
    "GREEN_API_TOKEN": "GREEN_API_TOKEN_SECRET_ARN",
    # The instance map holds every instance's token. No version is named: a new secret version
    # (an instance added) is read at the next cold start.
    "GREEN_API_INSTANCES": "GREEN_API_INSTANCES_SECRET_ARN",
    "EVENTS_SECRET": "EVENTS_SECRET_SECRET_ARN",
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


def outbox_ids(stream_event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(sequence number, event id) of each new outbox item in a DynamoDB Streams batch, in
    order (the event source mapping's filter passes only those; others are skipped anyway)."""
    found = []
    for record in stream_event.get("Records") or []:
        change = record.get("dynamodb") or {}
        keys = change.get("Keys") or {}
        pk = (keys.get("pk") or {}).get("S", "")
        if record.get("eventName") == "INSERT" and pk.startswith("OUTBOX#"):
            found.append((str(change.get("SequenceNumber")), pk.removeprefix("OUTBOX#")))
    return found


def failed_from(sequence_numbers: list[str], failed_at: int | None) -> dict[str, Any]:
    """The partial batch answer (ReportBatchItemFailures): the stream is retried from the first
    event not taken, so the ones before it are not sent again."""
    if failed_at is None:
        return {"batchItemFailures": []}
    return {"batchItemFailures": [{"itemIdentifier": sequence_numbers[failed_at]}]}


def handle_task_batch(config: Config, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """SQS records of scheduled tasks (one instance each), run one after another; the answer
    names the messages whose task failed, so that SQS makes only those visible again (the event
    source mapping reports batch item failures). A message that is no task is logged and
    dropped: no retry can make it one."""
    import json
    import logging

    from call_logger.flows.scheduled import NotAReconcileRun, run

    log = logging.getLogger(__name__)
    failures = []
    for record in records:
        message_id = record.get("messageId", "")
        try:
            done = run(config, json.loads(record.get("body") or "null"))
        except (NotAReconcileRun, ValueError) as error:
            log.error("not a reconcile task: %s", error, extra={"event": "reconcile.bad_task"})
            continue
        except Exception as error:  # the task failed; the queue retries it
            log.error("task failed: %r", error, extra={"event": "reconcile.task_failed"})
            done_error: str | None = repr(error)
        else:
            done_error = done.error
        if done_error is not None:
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}
