"""AWS Lambda entry point, handler `lambda_function.lambda_handler`: the webhook of main.py."""

from __future__ import annotations

import os
from typing import Any

from call_logger.aws_lambda import environ_with_secrets, handle_event
from call_logger.config import Config
from call_logger.logs import configure_for
from call_logger.webhook import Webhook

# Read once at cold start: a bad setting fails the start with a message naming what is allowed.
CONFIG = Config.from_env(environ_with_secrets(os.environ))
configure_for(CONFIG)  # the same JSON lines as on Google Cloud, in CloudWatch Logs
WEBHOOK = Webhook(CONFIG)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle_event(WEBHOOK, event)
