"""A stand-in for the parts of the Lambda API that moto lacks (GetAccountSettings), over real
HTTP on loopback: boto3 reaches it through AWS_ENDPOINT_URL_LAMBDA. Every other Lambda call
answers 404 ResourceNotFoundException, as for a function that is not deployed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LambdaSettings(BaseHTTPRequestHandler):
    """GetAccountSettings with the server's `limit`; anything else: no such function."""

    def do_GET(self) -> None:
        limit: int = self.server.limit  # type: ignore[attr-defined]
        if self.path.endswith("/account-settings"):
            body: dict[str, Any] = {
                "AccountLimit": {
                    "ConcurrentExecutions": limit,
                    "UnreservedConcurrentExecutions": limit,
                }
            }
            self._send(200, body, {})
        else:
            self._not_found()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._not_found()

    def _not_found(self) -> None:
        error = {"Type": "User", "Message": "Function not found"}
        self._send(404, error, {"x-amzn-ErrorType": "ResourceNotFoundException"})

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def lambda_settings(limit: int = 1000) -> Iterator[ThreadingHTTPServer]:
    """The stand-in on a free port; set `.limit` to change the account's quota."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), LambdaSettings)
    server.limit = limit  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


def aws_env(moto: Any, server: ThreadingHTTPServer) -> dict[str, str]:
    """Credentials for moto, STS from moto (`moto.url`), Lambda from the stand-in."""
    return {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_STS": moto.url,
        "AWS_ENDPOINT_URL_LAMBDA": url(server),
    }


NAME = "green-call-logger"
# What `terraform console` prints for terraform/aws's local.deploy_facts (before quoting).
AWS_FACTS = {
    "name": NAME,
    "region": "us-east-1",
    "function_name": NAME,
    "reserved_concurrent_executions": 10,
    "iam_role_names": [f"{NAME}-function", f"{NAME}-reconcile-function"],
}
