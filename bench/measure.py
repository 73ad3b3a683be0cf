"""The measurements: rounds of load against servers taking turns, cold starts, and the probes
(bench/probes.py), each in a fresh process.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.probes import IGNORED_SAMPLES, SAMPLES, TOKEN
from bench.servers import Server, function_server, wrk
from bench.settings import BENCH, ROOT, Settings


@dataclass
class Load:
    """Medians over rounds of wrk runs against one server."""

    runs: list[dict[str, float]] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(run["rps"] for run in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(run["p99_us"] for run in self.runs) / 1000

    def summary(self) -> dict[str, Any]:
        return {
            "rps": round(self.rps, 1),
            "p99_ms": round(self.p99_ms, 2),
            "rps_runs": [round(run["rps"], 1) for run in self.runs],
            "p99_ms_runs": [round(run["p99_us"] / 1000, 2) for run in self.runs],
        }


def measure_loads(
    servers: dict[str, Server],
    script: str,
    args: Callable[[], list[str]],
    settings: Settings,
    before_run: Callable[[], None] = lambda: None,
) -> dict[str, Load]:
    """Rounds of wrk runs, the server order rotated each round so no one always goes first."""
    loads = {name: Load() for name in servers}
    names = list(servers)
    for round_index in range(settings.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            url = servers[name].url
            if round_index == 0:
                wrk(url, script, args(), settings.warmup, settings.concurrency)
            before_run()
            run = wrk(url, script, args(), settings.duration, settings.concurrency)
            loads[name].runs.append(run)
            print(f"  {name}: {run['rps']:.0f} rps, p99 {run['p99_us'] / 1000:.2f} ms", flush=True)
    return loads


def ignored_args() -> list[str]:
    return [TOKEN, *(str(SAMPLES / f"{name}.json") for name in IGNORED_SAMPLES)]


# The map of the 500-instance cold start: what an integrator's deployment would hold.
MANY_INSTANCES = 500
SAMPLE_INSTANCE = 1101000001  # instanceData.idInstance of the bench's sample bodies


def instance_map(count: int) -> str:
    """GREEN_API_INSTANCES of `count` instances, each with a label and its own operator chat (so
    that each also has settings of its own to check at start). The first is the samples'
    instance, so that the ignored bodies are answered 200 rather than 403."""
    return json.dumps(
        {
            str(SAMPLE_INSTANCE + n): {
                "apiUrl": f"https://{7103 + n % 40}.api.greenapi.com",
                "apiTokenInstance": f"{n:08x}{'0123456789abcdef' * 3}",
                "label": f"Client {n}",
                "operatorChatId": f"7900{n:07d}@c.us",
            }
            for n in range(count)
        }
    )


def measure_cold_starts(settings: Settings, logs: Path) -> dict[str, list[float]]:
    body = (SAMPLES / f"{IGNORED_SAMPLES[0]}.json").read_bytes()
    main = ROOT / "function" / "main.py"
    # name -> (source, extra environment); the servers take turns, the order rotating each time.
    subjects = {
        "ours": (main, {}),
        "ours_500_instances": (main, {"GREEN_API_INSTANCES": instance_map(MANY_INSTANCES)}),
        "baseline": (BENCH / "baseline_main.py", {}),
    }
    times: dict[str, list[float]] = {name: [] for name in subjects}
    for index in range(settings.cold_starts):
        turn = index % len(subjects)
        order = list(subjects)[turn:] + list(subjects)[:turn]
        for name in order:
            source, env = subjects[name]
            server = function_server(source, settings, logs / f"cold-{name}.log", env)
            started = time.perf_counter()
            server.start()
            try:
                server.wait_ready(body)
                times[name].append(time.perf_counter() - started)
            finally:
                server.stop()
    return times


def probe(name: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.probes", name]
    environ = os.environ | (env or {}) | {"PYTHONPATH": f"{ROOT}:{ROOT / 'function'}"}
    done = subprocess.run(command, env=environ, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"probe {name} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def calls_args(settings: Settings) -> Callable[[], list[str]]:
    def args() -> list[str]:
        # A new run id for every wrk run: every notification of the benchmark is distinct.
        return [TOKEN, str(secrets.randbits(31)), str(settings.callers)]

    return args
