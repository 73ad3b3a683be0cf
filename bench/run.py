"""`make bench`: every figure is a ratio against a baseline measured in the same run.

Servers run the way Cloud Run runs a Python function: functions-framework's gunicorn, one worker,
THREADS equal to the concurrency; wrk keeps exactly that many connections busy. Subject and
baseline are measured alternately, several rounds, and medians are compared.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.probes import IGNORED_SAMPLES, SAMPLES, TOKEN
from devserver.emulator import FirestoreEmulator, free_port
from devserver.processes import stop_group

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FUNCTIONS_FRAMEWORK = Path(sys.executable).with_name("functions-framework")
PEER_PYTHON = BENCH / ".venv-peer" / "bin" / "python"


@dataclass(frozen=True)
class Settings:
    concurrency: int = 8  # gunicorn THREADS and wrk connections
    warmup: float = 2.0  # seconds of load on each server before its first measured run
    duration: float = 3.0  # seconds of each measured run
    # Measured runs of each server. Servers take turns within a round, so the runs of one round
    # saw nearly the same background load: a ratio is the median of per-round ratios, and many
    # short rounds let it shrug off the bursts of other work on a shared machine.
    rounds: int = 16
    # Process starts of each function, taking turns. Start times on a shared machine come in two
    # modes tens of milliseconds apart, so it takes many pairs for the median ratio to settle.
    cold_starts: int = 31
    callers: int = 1000  # distinct chats in the recorded-call load


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


# -- processes ----------------------------------------------------------------------------------


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


# -- the measurements ---------------------------------------------------------------------------


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


def run(settings: Settings, logs: Path) -> dict[str, Any]:
    raw: dict[str, Any] = {"loadavg": _loadavg()}
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
    raw["loadavg"] += f" → {_loadavg()}"
    return raw


def _loadavg() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


# -- the report ---------------------------------------------------------------------------------


def paired(raw: dict[str, Any], runs: str, baseline: str, subject: str = "ours") -> float:
    """The median over rounds of subject / baseline, each ratio from runs of the same round."""
    pairs = zip(raw[subject][runs], raw[baseline][runs], strict=True)
    return statistics.median(ours / base for ours, base in pairs)


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    goal: str
    passed: Callable[[float], bool] | None  # None: a reference figure without a goal
    raw: str


def figures(raw: dict[str, Any]) -> tuple[dict[str, float], list[Figure]]:
    ignored, cold, trips, recorded, reconcile, scheduled = (
        raw["ignored"],
        raw["cold_start"],
        raw["roundtrips"],
        raw["recorded"],
        raw["reconcile"],
        raw["scheduled"],
    )
    results = {
        "ignored_rps_ratio": paired(ignored, "rps_runs", "baseline"),
        "ignored_p99_ratio": paired(ignored, "p99_ms_runs", "baseline"),
        "cold_start_ratio": paired(cold, "runs_s", "baseline"),
        "cold_start_ratio_500_instances": paired(
            cold, "runs_s", "baseline", subject="ours_500_instances"
        ),
        "roundtrips_per_recorded_call": float(trips["roundtrips_per_recorded_call"]),
        "contact_lookups_per_caller": float(trips["contact_lookups_per_caller"]),
        "recorded_rps_ratio": paired(recorded, "rps_runs", "baseline"),
        "peer_tornado_rps_ratio": paired(ignored, "rps_runs", "peer"),
        # Absolute on purpose: the goal is a wall-clock budget for one run on this machine.
        "reconcile_10k_seconds": float(reconcile["reconcile_seconds"]),
        "reconcile_reads_per_100_recorded": float(reconcile["reads_per_100_recorded"]),
        # Absolute, compared with each other: the queue leaves nothing serial when 500 take no
        # longer than 500 / concurrency times one (and a quarter more).
        "scheduled_1_instance_seconds": float(scheduled["scheduled_1_instance_seconds"]),
        "scheduled_500_instances_seconds": float(scheduled["scheduled_500_instances_seconds"]),
        "scheduled_concurrency": float(scheduled["scheduled_concurrency"]),
        "digest_reads_ratio_500_instances": (
            scheduled["digest_reads_500_instances"] / scheduled["digest_reads_alone"]
        ),
    }
    results = {key: round(value, 3) for key, value in results.items()}
    one_instance = results["scheduled_1_instance_seconds"]

    def rps(load: dict[str, Any]) -> str:
        return f"{load['rps']:.0f} rps (runs {', '.join(f'{r:.0f}' for r in load['rps_runs'])})"

    def p99(load: dict[str, Any]) -> str:
        runs = ", ".join(f"{r:.2f}" for r in load["p99_ms_runs"])
        return f"{load['p99_ms']:.2f} ms (runs {runs})"

    def cold_text(name: str) -> str:
        runs = ", ".join(f"{t:.2f}" for t in cold[name]["runs_s"])
        return f"{cold[name]['median_s']:.3f} s (runs {runs})"

    by_method = ", ".join(f"{m} {n}" for m, n in sorted(trips["cached_rpcs_by_method"].items()))
    table = [
        Figure(
            "ignored_rps_ratio",
            "Ignored types: requests/s, ours / bare function",
            "≥ 0.95",
            lambda v: v >= 0.95,
            f"ours {rps(ignored['ours'])}; bare {rps(ignored['baseline'])}",
        ),
        Figure(
            "ignored_p99_ratio",
            "Ignored types: p99 latency, ours / bare function",
            "≤ 1.1",
            lambda v: v <= 1.1,
            f"ours {p99(ignored['ours'])}; bare {p99(ignored['baseline'])}",
        ),
        Figure(
            "cold_start_ratio",
            "Cold start to first 200 (ignored type), ours / bare function",
            "≤ 1.1",
            lambda v: v <= 1.1,
            f"ours {cold_text('ours')}; bare {cold_text('baseline')}",
        ),
        Figure(
            "cold_start_ratio_500_instances",
            f"Cold start with {MANY_INSTANCES} instances in GREEN_API_INSTANCES, ours / bare",
            "≤ 1.1",
            lambda v: v <= 1.1,
            f"ours with the map {cold_text('ours_500_instances')}; bare {cold_text('baseline')}",
        ),
        Figure(
            "roundtrips_per_recorded_call",
            "Firestore RPCs per recorded notification, name cached",
            "≤ 2",
            lambda v: v <= 2,
            f"{by_method} over {trips['callers'] * (trips['notifications_per_caller'] - 1)} "
            f"notifications; max {trips['roundtrips_max_cached']}; first of a caller "
            f"{trips['roundtrips_first_of_caller']:g}; duplicate delivery "
            f"{trips['roundtrips_per_duplicate']:g}",
        ),
        Figure(
            "contact_lookups_per_caller",
            "GetContactInfo requests per caller within CONTACT_CACHE_TTL",
            "= 1",
            lambda v: v == 1,
            f"{trips['contact_lookups']} requests for {trips['callers']} callers, "
            f"{trips['notifications_per_caller']} notifications each",
        ),
        Figure(
            "recorded_rps_ratio",
            "Recorded calls: requests/s, ours / one plain Firestore set",
            "≥ 0.8",
            lambda v: v >= 0.8,
            f"ours {rps(recorded['ours'])}; plain set {rps(recorded['baseline'])}",
        ),
        Figure(
            "reconcile_10k_seconds",
            "reconcile of 10,000 journal entries, 9,000 already recorded (emulator), seconds",
            "< 30",
            lambda v: v < 30,
            f"{reconcile['entries']} entries: {reconcile['already_recorded_before']} already "
            f"recorded, {reconcile['added']} added",
        ),
        Figure(
            "reconcile_reads_per_100_recorded",
            "reconcile: Firestore read RPCs per 100 already-recorded entries",
            "≤ 2",
            lambda v: v <= 2,
            f"{reconcile['second_run_read_rpcs']} read RPCs (BatchGetDocuments, RunQuery) in a "
            f"second run over the {reconcile['entries']} entries, all recorded",
        ),
        Figure(
            "scheduled_1_instance_seconds",
            "Scheduled work of one instance alone (reconcile, check, digest; no queue), seconds",
            "reference",
            None,
            f"median of runs {scheduled['single_runs_seconds']}",
        ),
        Figure(
            "scheduled_500_instances_seconds",
            "Scheduled work of 500 instances, one task each on the queue, seconds",
            "≤ 1.25 x 500 / concurrency x one",
            lambda v: v <= 1.25 * 500 / results["scheduled_concurrency"] * one_instance,
            f"{scheduled['dispatched']} tasks dispatched, {scheduled['digests_sent']} digests "
            f"sent; limit {1.25 * 500 / results['scheduled_concurrency'] * one_instance:.1f} s",
        ),
        Figure(
            "scheduled_concurrency",
            "Tasks the queue runs at once (played locally by as many workers)",
            "reference",
            None,
            "reconcile_concurrency's default",
        ),
        Figure(
            "digest_reads_ratio_500_instances",
            "Records one instance's digest reads, 500 instances' stored / the instance alone",
            "≤ 1.1",
            lambda v: v <= 1.1,
            f"{scheduled['digest_reads_500_instances']} records with 500 instances, "
            f"{scheduled['digest_reads_alone']} alone",
        ),
        Figure(
            "peer_tornado_rps_ratio",
            "Ignored types: requests/s, ours / GREEN-API's Tornado webhook server",
            "reference",
            None,
            f"ours {rps(ignored['ours'])}; peer {rps(ignored['peer'])}",
        ),
    ]
    if "events" in raw:  # their own section of results.md (bench/events.py)
        from bench import events

        results |= events.figures(raw["events"])[0]
    return results, table


def markdown(
    results: dict[str, float], table: list[Figure], raw: dict[str, Any], settings: Settings
) -> str:
    def verdict(figure: Figure) -> str:
        if figure.passed is None:
            return "—"
        return "pass" if figure.passed(results[figure.key]) else "**FAIL**"

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
        "| figure | key | goal | result | pass | raw numbers |",
        "|---|---|---|---|---|---|",
    ]
    for figure in table:
        lines.append(
            f"| {figure.title} | `{figure.key}` | {figure.goal} | {results[figure.key]:g} "
            f"| {verdict(figure)} | {figure.raw} |"
        )
    lines += [
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
