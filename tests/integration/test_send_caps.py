"""Per-instance caps on sends (issue 26, item 2) across two function instances: two processes,
each a cold-started function, deliver a burst of missed calls of one instance at once against
the Firestore emulator or DynamoDB on moto; the caps hold over both together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from devserver.emulator import free_port
from devserver.fake_green_api import FakeGreenApi
from devserver.processes import stop_group
from tests.conftest import TOKEN, sample
from tests.support.backends import Backend

ROOT = Path(__file__).resolve().parents[2]
OPERATOR = "79990000000@c.us"
CALLS = 10
REPLY_CAP, NOTICE_CAP = 3, 4
START_TIMEOUT = 120.0


def missed_call(instance_id: int, n: int) -> dict[str, Any]:
    body = sample("incoming-call-offer") | {
        "status": "missed",
        "from": f"7900100{n:04d}@c.us",
        "idMessage": f"CALL{n:04d}",
        "timestamp": int(time.time()),
    }
    body["instanceData"] = {**body["instanceData"], "idInstance": instance_id}
    return body


class SerialMotoServer(ThreadedMotoServer):
    """moto on one thread, sharing the session's moto data: DynamoDB serializes conditional
    transactions, while moto's threaded server checks a transaction's conditions and writes it
    without a lock, so two requests at once could both pass a condition that only one may."""

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            self._ip_address, self._port, app, False, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture
def store_environ(backend: Backend) -> Iterator[dict[str, str]]:
    """Where the function processes find the store: on AWS, through a serial moto server."""
    environ = backend.environ()
    if backend.name != "aws":
        yield environ
        return
    port = free_port()
    server = SerialMotoServer("127.0.0.1", port, verbose=False)
    server.start()
    yield environ | {"AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{port}"}
    server.stop()


def environment(store: dict[str, str], fake: FakeGreenApi) -> dict[str, str]:
    entry = {
        "apiUrl": fake.url,
        "apiTokenInstance": fake.token,
        "operatorChatId": OPERATOR,
        "missedCallReplyMaxPerHour": str(REPLY_CAP),
    }
    return (
        {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("GREEN_API_", "OPERATOR_", "MISSED_CALL_"))
        }
        | store
        | {
            "GREEN_API_INSTANCES": json.dumps({str(fake.instance_id): entry}),
            "WEBHOOK_TOKEN": TOKEN,
            "MISSED_CALL_REPLY": "Sorry we missed you",
            "OPERATOR_NOTIFY_ON": "missed",
            "OPERATOR_NOTIFY_MAX_PER_HOUR": str(NOTICE_CAP),
            "CONTACT_LOOKUP_BUDGET": "1",
            "STORE_TIMEOUT": "5",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "function")]),
        }
    )


def run_two_function_processes(
    backend: Backend, env: dict[str, str], halves: list[list[dict[str, Any]]], workdir: Path
) -> tuple[list[int], str]:
    """Both processes cold-started first, then let go at once; their statuses and stdout."""
    processes = []
    for n, bodies in enumerate(halves):
        (workdir / f"bodies{n}.json").write_text(json.dumps([[TOKEN, body] for body in bodies]))
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.support.function_process",
                    backend.name,
                    str(workdir / f"bodies{n}.json"),
                    str(workdir / f"results{n}.json"),
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=(workdir / f"stdout{n}.log").open("wb"),
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        )
    try:
        for process in processes:
            assert process.stderr is not None
            ready = process.stderr.readline()
            assert ready.strip() == b"ready", ready + process.stderr.read()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            process.stdin.close()
        for process in processes:
            assert process.wait(timeout=START_TIMEOUT) == 0
    finally:
        for process in processes:
            stop_group(process)
    statuses = [s for n in range(2) for s in json.loads((workdir / f"results{n}.json").read_text())]
    stdout = "".join((workdir / f"stdout{n}.log").read_text() for n in range(2))
    return statuses, stdout


def test_caps_hold_across_two_function_processes(
    backend: Backend,
    store_environ: dict[str, str],
    fake_green_api: FakeGreenApi,
    tmp_path: Path,
) -> None:
    env = environment(store_environ, fake_green_api)
    calls = [missed_call(fake_green_api.instance_id, n) for n in range(CALLS)]

    statuses, stdout = run_two_function_processes(backend, env, [calls[::2], calls[1::2]], tmp_path)

    assert statuses == [200] * CALLS
    sent = [request.json["chatId"] for request in fake_green_api.requests_for("sendMessage")]
    assert sent.count(OPERATOR) == NOTICE_CAP
    assert len(sent) - sent.count(OPERATOR) == REPLY_CAP
    records = [doc for path, doc in backend.documents().items() if "/records/" in path]
    assert len(records) == CALLS
    capped = [cap for record in records for cap in record.get("cappedBy", [])]
    assert capped.count("MISSED_CALL_REPLY_MAX_PER_HOUR") == CALLS - REPLY_CAP
    assert capped.count("OPERATOR_NOTIFY_MAX_PER_HOUR") == CALLS - NOTICE_CAP
    assert sum("replyText" in record for record in records) == REPLY_CAP
    # One WARNING per cap for the hour, whichever process refused first.
    warnings = [
        line
        for line in map(json.loads, filter(None, stdout.splitlines()))
        if line.get("event") == "send.capped"
    ]
    assert sorted(line["cap"] for line in warnings) == [
        "MISSED_CALL_REPLY_MAX_PER_HOUR",
        "OPERATOR_NOTIFY_MAX_PER_HOUR",
    ]
    assert {line["severity"] for line in warnings} == {"WARNING"}
