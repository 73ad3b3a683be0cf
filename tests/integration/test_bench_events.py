"""Cheap checks of the events' benchmark (bench/events.py); the figures come from `make bench`
or `python -m bench.events`, never from a test."""

from __future__ import annotations

from typing import Any

from bench import events
from bench.measure import probe
from devserver.emulator import FirestoreEmulator


def _load(rps: float) -> dict[str, Any]:
    return {"rps": rps, "p99_ms": 9.0, "rps_runs": [rps, rps], "p99_ms_runs": [9.0, 9.0]}


def test_the_delivery_probe_delivers_every_event_once(emulator: FirestoreEmulator) -> None:
    emulator.wipe()
    result = probe("events", emulator.environ() | {"BENCH_DELIVERED_EVENTS": "12"})
    assert result["delivered"] == 12
    assert result["events_per_second"] == 12 / result["seconds"]


def test_the_figures_and_their_section_of_the_results() -> None:
    raw = {
        "recorded": {"events_on": _load(95), "events_off": _load(100)},
        "delivery": {"delivered": 300, "seconds": 2.0, "events_per_second": 150.0},
    }
    results, table = events.figures(raw)
    assert results == {"recorded_rps_ratio_with_events": 0.95, "events_delivered_per_second": 150.0}
    section = events.markdown_section(results, table)
    assert "`recorded_rps_ratio_with_events` | ≥ 0.95 | 0.95 | pass" in section
    page = "# Benchmark results\n\n| table |\n\n## How it was measured\n\n- ...\n"
    once = events.with_section(page, section)
    assert once.index("## Events") < once.index("## How it was measured")
    assert events.with_section(once, section) == once  # a second run replaces, never repeats
