"""bench/results.md: the figures' table, how they were measured, and the machine."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.figures import Figure, table_lines
from bench.measure import MANY_INSTANCES
from bench.probes import IGNORED_SAMPLES
from bench.settings import Settings

# How the scheduled figures were measured: also a line of the probe's own run (its __main__).
SCHEDULED_METHOD = (
    "- Scheduled: `python -m bench.probes scheduled` (bench/scheduled_probe.py) runs the real "
    "dispatch and task code (`call_logger.flows.scheduled`) against the emulator and fake "
    "GREEN-API instances served by a process of their own; the queue's concurrency is played "
    "by as many worker processes, each made warm (configuration read, modules imported, "
    "database reached) before the clock starts, as the cloud runs each task in a function "
    "instance. One instance: its task alone in a warm worker (the median of 3); 500: the "
    "dispatch and every task, from an empty database."
)


def markdown(
    results: dict[str, float], table: list[Figure], raw: dict[str, Any], settings: Settings
) -> str:
    imports = raw["imports"]["imported"]
    heavy = ", ".join(
        f"`{name}` {'imported' if hit else 'not imported'}" for name, hit in imports.items()
    )
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (bench/run.py) from a run on the machine below. Every figure",
        "but the counts and the reconcile time is a ratio against a baseline measured in the same",
        "run, taking turns with it: the median over rounds of the ratio within a round. The raw",
        "numbers are medians over the rounds, each run listed in round order.",
        "",
        *table_lines(results, table),
        "",
        f"Ignored path (`create_app` test client, fresh process, {len(IGNORED_SAMPLES)} ignored "
        f"types answered {raw['imports']['statuses']}): {heavy}.",
        "",
        "## How it was measured",
        "",
        f"- Servers: `functions-framework --target handle_webhook --source …` (gunicorn, "
        f"WORKERS=1, THREADS={settings.concurrency}), as Cloud Run runs a function with "
        f"concurrency {settings.concurrency}; the peer is `whatsapp-api-webhook-server-python` "
        "(from PyPI, in bench/.venv-peer) with a handler that does nothing.",
        f"- Load: wrk, 1 thread, {settings.concurrency} connections; {settings.warmup:g} s "
        f"of warm-up per server, then {settings.rounds} rounds of {settings.duration:g} s runs, "
        "the servers taking turns (order rotated each round); no run may see an error or a "
        "non-200.",
        "- Ignored bodies: "
        + ", ".join(f"`{name}.json`" for name in IGNORED_SAMPLES)
        + ", in turn, with the `Authorization: Bearer` token.",
        f"- Recorded calls: distinct `incomingCall` offers (a new idMessage each) from "
        f"{settings.callers} callers, against the Firestore emulator (wiped before each measured "
        "run), GREEN-API not configured (no name lookups; those are counted separately). "
        "Baseline: `bench/baseline_firestore_main.py`, one `set` per request.",
        "- Round trips: every RPC on the Firestore client's gRPC channel, counted by a client "
        "interceptor, retries included; the real `main.py` in functions-framework's test client "
        "against the emulator and devserver/fake_green_api.py, each notification delivered twice.",
        "- Reconcile: `python -m bench.probes reconcile` seeds the emulator with 9,000 of 10,000 "
        "journal entries recorded (one call of each of 1,000 chats lost, names cached), runs "
        "reconcile against devserver/fake_green_api.py serving the journal and times it; then "
        "runs it again, when all are recorded, counting the read RPCs on the gRPC channel.",
        SCHEDULED_METHOD,
        f"- Cold start: process start to the first 200 for an ignored body, "
        f"{settings.cold_starts} starts of each, taking turns; ratio: median of per-pair "
        f"ratios. The {MANY_INSTANCES}-instance map gives each instance an apiUrl, a token, a "
        "label and an operator chat of its own. The function's and the baselines' sources "
        "are byte-compiled first, so that no start pays for compiling what changed last.",
        "",
        "## Machine",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- nproc: {os.cpu_count()}, {_cpu_model()}",
        f"- python: {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}",
        f"- {_wrk_version()}",
        f"- load average at the start and the end of the run: {raw['loadavg']}; the machine is "
        "shared with other work running at the same time, so absolute numbers are noisy and "
        "the ratios less so.",
        "",
        "Re-run: `make bench` (writes bench/results.json and this file).",
        "",
    ]
    text = "\n".join(lines)
    if "events" in raw:  # a section of its own, which `python -m bench.events` rewrites alone
        from bench import events

        section = events.markdown_section(results, events.figures(raw["events"])[1])
        text = events.with_section(text, section)
    return text


def loadavg() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _wrk_version() -> str:
    """The load generator's version line; the report is also written (and tested) without it."""
    if shutil.which("wrk") is None:
        return "wrk: not installed"
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (done.stdout or done.stderr).splitlines()[0].split(" [")[0].strip()
