"""Baseline for the ignored-path benchmark: a bare function that answers 200 "OK"."""

from __future__ import annotations

import functions_framework
from flask import Request


@functions_framework.http
def handle_webhook(request: Request) -> tuple[str, int]:
    return "OK", 200
