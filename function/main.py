"""Cloud Functions entry point: GREEN-API posts every notification to handle_webhook."""

from __future__ import annotations

import logging
import os

import functions_framework
from call_logger.config import Config
from call_logger.webhook import Webhook
from flask import Request

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

# Read once at start: a bad setting stops the function here, with a message naming what is allowed.
WEBHOOK = Webhook(Config.from_env(os.environ))


@functions_framework.http
def handle_webhook(request: Request) -> tuple[str, int]:
    reply = WEBHOOK.handle(
        request.method,
        request.headers.get("Authorization"),
        request.content_length,
        request.stream.read,
    )
    return reply.text, reply.status
