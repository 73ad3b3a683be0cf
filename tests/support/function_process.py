"""One function instance in a process of its own, for tests of what must hold across instances
(the caps' counts): `python -m tests.support.function_process gcp|aws BODIES RESULTS`.

It loads the entry point as a cold start does (function/main.py in the functions-framework app,
or function/lambda_function.py) with its environment, says "ready" on stderr, waits for a line
on stdin, then posts every body of BODIES (a JSON list of [token, body]) at once from a thread
each, resending a 503 as GREEN-API would, and writes the final statuses to RESULTS. The
function's own JSON log lines go to stdout.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESENDS = 20  # GREEN-API resends a 5xx answer; a lost race on a send log is one


def load(backend: str) -> Any:
    if backend == "gcp":
        import functions_framework

        app = functions_framework.create_app(
            target="handle_webhook", source=str(ROOT / "function" / "main.py")
        )
        return app.test_client()
    from devserver.aws import LambdaClient, load_lambda

    return LambdaClient(load_lambda().lambda_handler)


def deliver(client: Any, token: str, body: dict[str, Any]) -> int:
    status = 0
    for _ in range(RESENDS):
        status = client.post(
            "/",
            data=json.dumps(body),
            headers={"Authorization": f"Bearer {token}"},
            content_type="application/json",
        ).status_code
        if status != 503:
            break
        time.sleep(0.05)
    return status


def main(backend: str, bodies_path: str, results_path: str) -> None:
    client = load(backend)
    bodies = json.loads(Path(bodies_path).read_text())
    print("ready", file=sys.stderr, flush=True)
    sys.stdin.readline()
    with ThreadPoolExecutor(len(bodies)) as pool:
        statuses = list(pool.map(lambda pair: deliver(client, *pair), bodies))
    Path(results_path).write_text(json.dumps(statuses))


if __name__ == "__main__":
    main(*sys.argv[1:4])
