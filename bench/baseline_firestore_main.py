"""Baseline for the recorded-call benchmark: one plain Firestore set per request.

It parses the body as JSON (as any webhook must) and writes it to a document named by its
idMessage: one commit RPC, no read, no condition.
"""

from __future__ import annotations

import json

import functions_framework
from flask import Request
from google.cloud import firestore

CLIENT = firestore.Client()


@functions_framework.http
def handle_webhook(request: Request) -> tuple[str, int]:
    body = json.loads(request.get_data())
    CLIENT.collection("bench").document(body["idMessage"]).set(body)
    return "OK", 200
