"""`make run` (python -m devserver): a local database and the function on 127.0.0.1, until
Ctrl-C stops both.

- `--store firestore` (the default): the Firestore emulator and function/main.py in
  functions-framework, as on Google Cloud.
- `--store dynamodb`: DynamoDB on a moto server in this process and function/lambda_function.py
  behind a small HTTP server that turns each request into a Function URL event, as on AWS. It
  needs nothing but `.venv`: no Cloud SDK, no Java.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from devserver.aws import LambdaClient, create_table, load_lambda
from devserver.emulator import FirestoreEmulator

ROOT = Path(__file__).resolve().parents[1]
DEV_TOKEN = "dev-token"
SAMPLE = ROOT / "tests" / "samples" / "incoming-call-offer.json"
TABLE = "green-call-logger"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--database-port", type=int, default=8681)
    parser.add_argument("--store", choices=("firestore", "dynamodb"), default="firestore")
    args = parser.parse_args()

    # SIGTERM (a closing terminal, `timeout`) stops everything just as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    os.environ.setdefault("WEBHOOK_TOKEN", DEV_TOKEN)
    if args.store == "dynamodb":
        return _run_dynamodb(args.port, args.database_port)
    return _run_firestore(args.port, args.database_port)


def _run_firestore(port: int, database_port: int) -> int:
    emulator = FirestoreEmulator(port=database_port).start()
    env = os.environ | emulator.environ()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("functions-framework")),
            "--target=handle_webhook",
            f"--source={ROOT / 'function' / 'main.py'}",
            "--host=127.0.0.1",
            f"--port={port}",
        ],
        env=env,
    )
    _banner(
        f"Firestore emulator: {emulator.host} (export FIRESTORE_EMULATOR_HOST={emulator.host}"
        f" GOOGLE_CLOUD_PROJECT={emulator.project} to read it with `call-logger calls`)",
        port,
        env,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()
    finally:
        emulator.stop()
    return 0


def _run_dynamodb(port: int, database_port: int) -> int:
    import boto3
    from moto.server import ThreadedMotoServer

    database = ThreadedMotoServer(ip_address="127.0.0.1", port=database_port, verbose=False)
    database.start()
    url = f"http://127.0.0.1:{database_port}"
    aws = {
        "AWS_ENDPOINT_URL_DYNAMODB": url,
        "AWS_ACCESS_KEY_ID": "dev",
        "AWS_SECRET_ACCESS_KEY": "dev",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(aws | {"STORE": "dynamodb", "DYNAMODB_TABLE": TABLE})
    create_table(boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1"), TABLE)
    lambda_client = LambdaClient(load_lambda().lambda_handler)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        answer = lambda_client.open(
            environ["REQUEST_METHOD"],
            data=environ["wsgi.input"].read(length),
            headers=headers,
            content_type=environ.get("CONTENT_TYPE", ""),
        )
        start_response(f"{answer.status_code} -", [("Content-Type", "text/plain")])
        return [answer.text.encode()]

    server = make_server("127.0.0.1", port, app, handler_class=_QuietHandler)
    exports = " ".join(f"{name}={value}" for name, value in aws.items())
    _banner(
        f"DynamoDB (moto): {url}, table {TABLE} (export STORE=dynamodb DYNAMODB_TABLE={TABLE}"
        f" {exports} to read it with `call-logger calls`)",
        port,
        dict(os.environ),
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        database.stop()
    return 0


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        print(f"{self.command} {self.path} -> {code}", file=sys.stderr, flush=True)


def _banner(database: str, port: int, env: dict[str, str]) -> None:
    print(
        f"\n{database}\n"
        f"Function: http://127.0.0.1:{port}/  (CALL_MODE={env.get('CALL_MODE', 'all')})\n"
        "Post a sample call:\n"
        f"  curl -i -H 'Authorization: Bearer {env['WEBHOOK_TOKEN']}'"
        f" -H 'Content-Type: application/json' --data @{SAMPLE} http://127.0.0.1:{port}/\n"
        + (
            f"Events go to {env['EVENTS_URL']} when delivered: run `python -m call_logger"
            " events deliver` with the exports above, as the change stream's trigger would"
            " (docs/events.md)\n"
            if env.get("EVENTS_URL")
            else ""
        )
        + "Ctrl-C stops both.\n",
        flush=True,
    )
