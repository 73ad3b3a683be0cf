"""The events' two figures (docs/events.md), part of `make bench`; alone:
`python -m bench.events` (writes its keys into bench/results.json and its section of
bench/results.md, leaving the other figures as the last full run left them).

- recorded_rps_ratio_with_events: recorded-call throughput with EVENTS_URL set (each record
  commits its outbox document too) against the same function without it, in the same run,
  taking turns (goal at least 0.95).
- events_delivered_per_second: `events deliver`'s flow over pending outbox documents on the
  Firestore emulator, to a receiver on 127.0.0.1 that verifies every signature.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.figures import Figure, paired, table_lines
from bench.measure import calls_args, measure_loads, probe
from bench.servers import function_server, running
from bench.settings import BENCH, ROOT, Settings
from devserver.emulator import FirestoreEmulator

SECRET = "whsec_" + base64.b64encode(b"bench-events-secret-of-32-bytes!").decode()
# Writing events needs only the URL; nothing listens there while the webhook is measured.
UNUSED_URL = "http://127.0.0.1:9/hooks"
# Outbox documents the delivery probe delivers (fewer in the test of the probe).
DELIVERED_EVENTS = int(os.environ.get("BENCH_DELIVERED_EVENTS", "300"))
SECTION = "## Events"


def measure(settings: Settings, logs: Path, emulator: FirestoreEmulator) -> dict[str, Any]:
    env = emulator.environ()
    main = ROOT / "function" / "main.py"
    servers = {
        "events_off": function_server(main, settings, logs / "events-off.log", env),
        "events_on": function_server(
            main, settings, logs / "events-on.log", env | {"EVENTS_URL": UNUSED_URL}
        ),
    }
    offer = (ROOT / "tests" / "samples" / "incoming-call-offer.json").read_bytes()
    print("recorded calls: with EVENTS_URL, without", flush=True)
    with running(*servers.values()):
        for server in servers.values():
            server.wait_ready(offer)
        loads = measure_loads(servers, "calls.lua", calls_args(settings), settings, emulator.wipe)
    print("events delivered per second", flush=True)
    emulator.wipe()
    delivery = probe("events", env)
    print(f"  {delivery}", flush=True)
    return {
        "recorded": {name: load.summary() for name, load in loads.items()},
        "delivery": delivery,
    }


def figures(events: dict[str, Any]) -> tuple[dict[str, float], list[Figure]]:
    recorded, delivery = events["recorded"], events["delivery"]
    results = {
        "recorded_rps_ratio_with_events": round(
            paired(recorded, "rps_runs", "events_off", subject="events_on"), 3
        ),
        "events_delivered_per_second": round(float(delivery["events_per_second"]), 1),
    }

    def rps(name: str) -> str:
        load = recorded[name]
        return f"{load['rps']:.0f} rps (runs {', '.join(f'{r:.0f}' for r in load['rps_runs'])})"

    table = [
        Figure(
            "recorded_rps_ratio_with_events",
            "Recorded calls: requests/s with EVENTS_URL (outbox in the same commit) / without",
            "≥ 0.95",
            lambda v: v >= 0.95,
            f"with {rps('events_on')}; without {rps('events_off')}",
        ),
        Figure(
            "events_delivered_per_second",
            "Events delivered per second by `events deliver` (emulator, local receiver)",
            "reference",
            None,
            f"{delivery['delivered']} events in {delivery['seconds']:.2f} s, each signature "
            f"verified by the receiver",
        ),
    ]
    return results, table


def delivery_probe() -> dict[str, Any]:
    """`python -m bench.probes events`: DELIVERED_EVENTS calls recorded through the real
    function with EVENTS_URL, then every outbox document delivered, timed."""
    from call_logger.flows.events import deliver_pending, post_with_requests
    from call_logger.settings.config import Config
    from call_logger.stores.factory import make_outbox

    from bench.probes import TOKEN, _client, _post

    with _receiver() as (url, taken):
        env = {"WEBHOOK_TOKEN": TOKEN, "EVENTS_URL": url, "EVENTS_SECRET": SECRET}
        client = _client(env)
        template = json.loads(
            (ROOT / "tests" / "samples" / "incoming-call-missed.json").read_text()
        )
        for n in range(DELIVERED_EVENTS):
            body = template | {"idMessage": f"BENCH{n:08d}", "from": f"7900{n % 50:07d}@c.us"}
            if _post(client, json.dumps(body).encode()) != 200:
                raise RuntimeError("a call was not recorded")
        config = Config.from_env(env)
        outbox = make_outbox(config)
        started = time.perf_counter()
        run = deliver_pending(config, outbox, post_with_requests())
        seconds = time.perf_counter() - started
        if run.counts != {"delivered": DELIVERED_EVENTS} or len(taken) != DELIVERED_EVENTS:
            raise RuntimeError(f"not every event was delivered once: {run.counts}, {len(taken)}")
    return {
        "delivered": DELIVERED_EVENTS,
        "seconds": seconds,
        "events_per_second": DELIVERED_EVENTS / seconds,
    }


@contextmanager
def _receiver() -> Iterator[tuple[str, list[str]]]:
    """A receiver on 127.0.0.1 that verifies each event's signature (standardwebhooks), as a
    CRM's would, and answers 204; the ids it took."""
    from standardwebhooks.webhooks import Webhook

    webhook = Webhook(SECRET)
    taken: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a production receiver

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            webhook.verify(body, headers)
            taken.append(headers["webhook-id"])
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", taken
    finally:
        server.shutdown()
        server.server_close()


def markdown_section(results: dict[str, float], table: list[Figure]) -> str:
    return "\n".join(
        [
            SECTION,
            "",
            *table_lines(results, table),
            "",
            "Measured as the recorded calls above (the same wrk script, emulator wiped before each "
            "run), the two servers being `main.py` with and without `EVENTS_URL`; delivery: "
            f"`python -m bench.probes events` records {DELIVERED_EVENTS} missed calls through the "
            "function, then times one `events deliver` over their outbox documents. Alone: "
            "`python -m bench.events`.",
            "",
            "",
        ]
    )


def with_section(text: str, section: str) -> str:
    """results.md with its events section replaced (or added before "## How it was measured")."""
    pattern = re.compile(rf"^{SECTION}\n.*?(?=^## )", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(lambda _: section, text)
    return text.replace("## How it was measured", section + "## How it was measured", 1)


def main() -> int:
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="bench-logs-") as logs, FirestoreEmulator() as emulator:
        events = measure(settings, Path(logs), emulator)
    results, table = figures(events)
    json_path, md_path = BENCH / "results.json", BENCH / "results.md"
    stored = json.loads(json_path.read_text()) | results
    json_path.write_text(json.dumps(stored, indent=2) + "\n")
    md_path.write_text(with_section(md_path.read_text(), markdown_section(results, table)))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
