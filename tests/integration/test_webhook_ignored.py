"""The function acknowledges every notification it does not track and writes nothing, without
loading a storage or HTTP client (the import-linter contracts in pyproject.toml say the same of
the modules; this checks it at run time, in a fresh process per entry point)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from call_logger.core.envelope import is_tracked

from devserver.aws import LAMBDA
from tests.conftest import MAIN, ROOT, SAMPLES, ClientFactory, post, sample
from tests.support.backends import Backend

IGNORED_SAMPLES = sorted(
    path.stem
    for path in SAMPLES.glob("*.json")
    if isinstance(body := json.loads(path.read_text()), dict)
    and "typeWebhook" in body
    and body["typeWebhook"] != "stateInstanceChanged"
    and not is_tracked(body["typeWebhook"], callback_by_message=True)
)
# Ignored too when CALLBACK_BY_MESSAGE=false.
OUTGOING_MESSAGES = [
    sample("outgoing-message-received"),
    sample("outgoing-message-received") | {"typeWebhook": "outgoingAPIMessageReceived"},
]


@pytest.mark.parametrize("name", IGNORED_SAMPLES)
def test_ignored_types_are_acknowledged_and_write_nothing(
    make_client: ClientFactory, backend: Backend, name: str
) -> None:
    assert post(make_client(), sample(name)).status_code == 200
    assert backend.documents() == {}


def test_body_without_type_is_acknowledged(make_client: ClientFactory, backend: Backend) -> None:
    assert post(make_client(), {"hello": "world"}).status_code == 200
    assert backend.documents() == {}


# Loads an entry point in a fresh process and posts every ignored sample to it.
LOADERS = {
    "gcp": f"""
import functions_framework
app = functions_framework.create_app(target="handle_webhook", source={str(MAIN)!r})
client = app.test_client()
def post(body):
    return client.post("/", json=body, headers={{"Authorization": "Bearer t"}}).status_code
""",
    "aws": f"""
import base64, importlib.util, json
spec = importlib.util.spec_from_file_location("lambda_function", {str(LAMBDA)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
def post(body):
    event = {{"requestContext": {{"http": {{"method": "POST"}}}},
             "headers": {{"authorization": "Bearer t"}}, "body": json.dumps(body)}}
    return module.lambda_handler(event, None)["statusCode"]
""",
}


@pytest.mark.parametrize("callback_by_message", ["true", "false"])
@pytest.mark.parametrize("entry", list(LOADERS))
def test_ignored_type_imports_no_storage_or_network_module(
    entry: str, callback_by_message: str
) -> None:
    """A fresh process: handling every ignored sample leaves storage and HTTP clients unimported
    (outgoing messages too, when call-back by message is off)."""
    bodies = [json.loads((SAMPLES / f"{name}.json").read_text()) for name in IGNORED_SAMPLES]
    if callback_by_message == "false":
        bodies += OUTGOING_MESSAGES
    script = (
        LOADERS[entry]
        + f"""
import json, sys
for body in json.loads({json.dumps(json.dumps(bodies))}):
    assert post(body) == 200
heavy = [m for m in sys.modules if m.startswith(("google.cloud.firestore", "google.api_core",
         "grpc", "requests", "urllib3", "boto3", "botocore", "call_logger.flows.",
         "call_logger.stores.", "call_logger.green_api",
         # parsing a handled notification, and business hours: dataclasses, each ~1 ms at start
         "call_logger.core.notification", "call_logger.settings.hours"))]
print(json.dumps(heavy))
"""
    )
    env = {
        "WEBHOOK_TOKEN": "t",
        "STORE": "dynamodb" if entry == "aws" else "firestore",
        "CALLBACK_BY_MESSAGE": callback_by_message,
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
