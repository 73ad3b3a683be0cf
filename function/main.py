"""Cloud Functions entry points: GREEN-API posts every notification to handle_webhook; Cloud
Scheduler posts the periodic reconcile run to reconcile_calls (a second, private function
deployed from the same source); Eventarc brings each new outbox document to deliver_event (a
third, private one: docs/events.md)."""

from __future__ import annotations

import json
import os
from typing import Any

import functions_framework
from call_logger.entrypoints.http import Webhook
from call_logger.settings.config import Config
from call_logger.settings.logs import cloud_trace_fields, configure_for
from flask import Request
from werkzeug.wsgi import get_content_length

# Read once at start: a bad setting stops the function here, with a message naming what is allowed.
CONFIG = Config.from_env(os.environ)
configure_for(CONFIG)  # JSON lines on stdout, which Cloud Logging reads as structured entries
WEBHOOK = Webhook(CONFIG)


@functions_framework.http
def handle_webhook(request: Request) -> tuple[str, int]:
    # Headers straight from the WSGI environ: request.headers builds an object that costs an
    # ignored notification a few percent of its time (bench: ignored_rps_ratio). The body is
    # read through request.stream, the one functions-framework drains after the function.
    environ = request.environ
    reply = WEBHOOK.handle(
        request.method,
        environ.get("HTTP_AUTHORIZATION"),
        get_content_length(environ),
        request.stream.read,
        cloud_trace_fields(environ.get("HTTP_X_CLOUD_TRACE_CONTEXT"), CONFIG.project),
    )
    return reply.text, reply.status


@functions_framework.http
def reconcile_calls(request: Request) -> tuple[str, int, dict[str, str]]:
    """Cloud Scheduler's run, which dispatches one task per instance onto Cloud Tasks, and each
    of those tasks. Only the scheduler's and the tasks' service accounts, with an OIDC token,
    get through Cloud Run (the function is private), so the body is trusted to say what to do:
    200 with the counts, 500 when the queue, GREEN-API or storage failed (the scheduler or the
    queue retries; a rerun completes it)."""
    from call_logger.flows.scheduled import NotAReconcileRun, run

    try:
        done = run(CONFIG, request.get_json(silent=True))
    except NotAReconcileRun as error:
        return f"Bad Request: {error}", 400, {"Content-Type": "text/plain"}
    status = 500 if done.error is not None else 200
    return json.dumps(done.counts, sort_keys=True), status, {"Content-Type": "application/json"}


@functions_framework.cloud_event
def deliver_event(cloud_event: Any) -> None:
    """A document created in `outbox` (google.cloud.firestore.document.v1.created). Its data
    is protobuf: the document is read by the name in the `document` attribute instead. An
    event not taken raises, and Eventarc's retry policy tries again with backoff."""
    from call_logger.flows.events import deliver, post_with_requests
    from call_logger.stores.factory import make_outbox

    name = cloud_event.get("document") or str(cloud_event.get("subject", ""))
    event_id = name.rsplit("/", 1)[-1]
    deliver(CONFIG, make_outbox(CONFIG), event_id, post_with_requests())
