"""GREEN-API's own Python webhook server (whatsapp-api-webhook-server-python, Tornado) with a
handler that does nothing: the peer row of the benchmark.

Runs in bench/.venv-peer (created by `make bench`), not in the project's virtualenv.
Usage: python bench/peer_server.py PORT
"""

from __future__ import annotations

import sys
from typing import Any

import tornado.httpserver  # the package uses tornado.httpserver without importing it
from whatsapp_api_webhook_server_python.webhooksHandler import startServer


def on_event(handler: Any, webhook_type: str, body: dict[str, Any]) -> None:
    """Ignore every notification (startServer binds this to its RequestHandler)."""


if __name__ == "__main__":
    assert tornado.httpserver
    startServer("127.0.0.1", int(sys.argv[1]), on_event)
