"""The processes a benchmark measures: functions-framework servers (as Cloud Run runs a
function), GREEN-API's own webhook server as the peer, and wrk, the load that drives them.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.probes import TOKEN
from bench.settings import BENCH, FUNCTIONS_FRAMEWORK, PEER_PYTHON, ROOT, Settings
from devserver.emulator import free_port
from devserver.processes import stop_group


class Server:
    """A server process in its own process group, answering on 127.0.0.1:port."""

    def __init__(self, command: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self._command = [part.replace("{port}", str(self.port)) for part in command]
        self._env = env
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                self._command,
                env=self._env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_group(process)

    def wait_ready(self, body: bytes, timeout: float = 60.0, pause: float = 0.005) -> float:
        """Poll with `body` until a 200; the seconds it took from now."""
        started = time.perf_counter()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self._command} exited; see {self._log}")
            if post(self.url, body) == 200:
                return time.perf_counter() - started
            time.sleep(pause)
        raise RuntimeError(f"{self._command} did not answer 200 in {timeout} s; see {self._log}")


def post(url: str, body: bytes) -> int | None:
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@contextmanager
def running(*servers: Server) -> Iterator[None]:
    with ExitStack() as stack:
        for server in servers:
            stack.callback(server.stop)
            server.start()
        yield


def function_server(
    source: Path, settings: Settings, log: Path, env: dict[str, str] | None = None
) -> Server:
    """`functions-framework --target handle_webhook --source SOURCE` under gunicorn."""
    environ = os.environ | (env or {})
    environ |= {
        "WEBHOOK_TOKEN": TOKEN,
        "WORKERS": "1",
        "THREADS": str(settings.concurrency),
        "GUNICORN_LOG_LEVEL": "error",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        str(FUNCTIONS_FRAMEWORK),
        "--target=handle_webhook",
        f"--source={source}",
        "--host=127.0.0.1",
        "--port={port}",
    ]
    return Server(command, environ, log)


def peer_server(log: Path) -> Server:
    command = [str(PEER_PYTHON), str(BENCH / "peer_server.py"), "{port}"]
    return Server(command, dict(os.environ), log)


def wrk(url: str, script: str, args: Sequence[str], seconds: float, connections: int) -> dict:
    command = [
        "wrk",
        "--threads=1",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--script={BENCH / script}",
        url,
        "--",
        *args,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result: dict[str, float] = json.loads(line.removeprefix("RESULT "))
    if result["errors"] or result["non_2xx"]:
        raise RuntimeError(f"wrk against {url} saw failures: {result}\n{output}")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result
