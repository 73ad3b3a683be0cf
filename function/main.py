"""Cloud Functions entry point (placeholder until the webhook lands)."""

import functions_framework
from flask import Request


@functions_framework.http
def handle_webhook(request: Request) -> tuple[str, int]:
    return "OK", 200
