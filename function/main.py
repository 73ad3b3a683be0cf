"""Cloud Functions entry point: GREEN-API posts every notification to handle_webhook."""

from __future__ import annotations

import os

import functions_framework
from call_logger.config import Config
from call_logger.logs import cloud_trace_fields, configure_for
from call_logger.webhook import Webhook
from flask import Request

# Read once at start: a bad setting stops the function here, with a message naming what is allowed.
CONFIG = Config.from_env(os.environ)
configure_for(CONFIG)  # JSON lines on stdout, which Cloud Logging reads as structured entries
WEBHOOK = Webhook(CONFIG)


@functions_framework.http
def handle_webhook(request: Request) -> tuple[str, int]:
    reply = WEBHOOK.handle(
        request.method,
        request.headers.get("Authorization"),
        request.content_length,
        request.stream.read,
        cloud_trace_fields(request.headers.get("X-Cloud-Trace-Context"), CONFIG.project),
    )
    return reply.text, reply.status
