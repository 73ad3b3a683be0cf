"""`make bench`: every figure is a ratio against a baseline measured in the same run.

Servers run the way Cloud Run runs a Python function: functions-framework's gunicorn, one worker,
THREADS equal to the concurrency; wrk keeps exactly that many connections busy. Subject and
baseline are measured alternately, several rounds, and medians are compared.

The parts: settings.py (how long, how hard), servers.py (the processes), measure.py (loads,
cold starts, probes), figures.py (results.json), report.py (results.md).
"""

from __future__ import annotations

import argparse
import compileall
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.figures import figures
from bench.measure import (
    calls_args,
    ignored_args,
    measure_cold_starts,
    measure_loads,
    probe,
)
from bench.probes import IGNORED_SAMPLES, SAMPLES
from bench.report import loadavg, markdown
from bench.servers import function_server, peer_server, running
from bench.settings import BENCH, PEER_PYTHON, ROOT, Settings
from devserver.emulator import FirestoreEmulator


def run(settings: Settings, logs: Path) -> dict[str, Any]:
    raw: dict[str, Any] = {"loadavg": loadavg()}
    ours_main = ROOT / "function" / "main.py"
    # Byte-compiled first, subject and baselines alike: otherwise a cold start compiles whatever
    # changed since Python last wrote __pycache__ (never, under PYTHONDONTWRITEBYTECODE), and
    # the figure measures the edit history rather than the code.
    for folder in (ROOT / "function", BENCH):
        compileall.compile_dir(folder, quiet=1, rx=re.compile(r"[/\\]\.venv"))

    print("ignored notifications: ours, bare function, GREEN-API's Tornado server", flush=True)
    servers = {
        "ours": function_server(ours_main, settings, logs / "ignored-ours.log"),
        "baseline": function_server(
            BENCH / "baseline_main.py", settings, logs / "ignored-baseline.log"
        ),
        "peer": peer_server(logs / "ignored-peer.log"),
    }
    ready_body = (SAMPLES / f"{IGNORED_SAMPLES[0]}.json").read_bytes()
    with running(*servers.values()):
        for server in servers.values():
            server.wait_ready(ready_body)
        raw["ignored"] = {
            name: load.summary()
            for name, load in measure_loads(servers, "ignored.lua", ignored_args, settings).items()
        }

    print("cold starts", flush=True)
    cold = measure_cold_starts(settings, logs)
    raw["cold_start"] = {
        name: {
            "median_s": round(statistics.median(times), 3),
            "runs_s": [round(t, 3) for t in times],
        }
        for name, times in cold.items()
    }
    print(f"  {raw['cold_start']}", flush=True)

    raw["imports"] = probe("imports")
    print(f"ignored path imports: {raw['imports']}", flush=True)

    with FirestoreEmulator() as emulator:
        print("Firestore round trips and GetContactInfo lookups", flush=True)
        emulator.wipe()
        raw["roundtrips"] = probe("roundtrips", emulator.environ())
        print(f"  {raw['roundtrips']}", flush=True)

        print("recorded calls: ours, one plain Firestore set", flush=True)
        env = emulator.environ()
        call_servers = {
            "ours": function_server(ours_main, settings, logs / "calls-ours.log", env),
            "baseline": function_server(
                BENCH / "baseline_firestore_main.py", settings, logs / "calls-baseline.log", env
            ),
        }
        offer = (SAMPLES / "incoming-call-offer.json").read_bytes()
        with running(*call_servers.values()):
            for server in call_servers.values():
                server.wait_ready(offer)
            loads = measure_loads(
                call_servers, "calls.lua", calls_args(settings), settings, emulator.wipe
            )
        raw["recorded"] = {name: load.summary() for name, load in loads.items()}

        from bench import events  # its figures (docs/events.md)

        raw["events"] = events.measure(settings, logs, emulator)

        print("reconcile: 10,000 journal entries, 9,000 already recorded", flush=True)
        emulator.wipe()
        raw["reconcile"] = probe("reconcile", emulator.environ())
        print(f"  {raw['reconcile']}", flush=True)

        print("scheduled work: one instance alone, 500 on a queue played locally", flush=True)
        emulator.wipe()
        raw["scheduled"] = probe("scheduled", emulator.environ())
        print(f"  {raw['scheduled']}", flush=True)
    raw["loadavg"] += f" → {loadavg()}"
    return raw


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=BENCH, help="where results.* are written")
    parser.add_argument("--quick", action="store_true", help="a tiny run that checks the paths")
    options = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (make bench installs it with apt-get)")
    if not PEER_PYTHON.exists():
        parser.error(f"{PEER_PYTHON} is missing (make bench creates it)")
    settings = (
        Settings(warmup=1, duration=1, rounds=1, cold_starts=1, concurrency=2)
        if options.quick
        else Settings()
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as logs:
        raw = run(settings, Path(logs))
    results, table = figures(raw)
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (options.out / "results.md").write_text(markdown(results, table, raw, settings))
    print(json.dumps(results, indent=2))
    print(f"written to {options.out} in {time.monotonic() - started:.0f} s")
    heavy = [name for name, hit in raw["imports"]["imported"].items() if hit]
    if heavy or raw["imports"]["statuses"] != [200] * len(IGNORED_SAMPLES):
        print(f"FAILED: the ignored path imported {heavy} or did not answer 200", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
