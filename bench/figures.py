"""The figures of bench/results.json from a run's raw numbers, each with its goal and the raw
numbers behind it (a row of bench/results.md).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.measure import MANY_INSTANCES


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

    def row(self, results: dict[str, float]) -> str:
        """Its row of a results.md table."""
        if self.passed is None:
            verdict = "—"
        else:
            verdict = "pass" if self.passed(results[self.key]) else "**FAIL**"
        return (
            f"| {self.title} | `{self.key}` | {self.goal} | {results[self.key]:g} "
            f"| {verdict} | {self.raw} |"
        )


def table_lines(results: dict[str, float], table: list[Figure]) -> list[str]:
    """A results.md table: its head and a row per figure."""
    head = ["| figure | key | goal | result | pass | raw numbers |", "|---|---|---|---|---|---|"]
    return head + [figure.row(results) for figure in table]


def figures(raw: dict[str, Any]) -> tuple[dict[str, float], list[Figure]]:
    ignored, cold, trips, recorded, reconcile = (
        raw["ignored"],
        raw["cold_start"],
        raw["roundtrips"],
        raw["recorded"],
        raw["reconcile"],
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
    }
    results = {key: round(value, 3) for key, value in results.items()}
    scheduled_results, scheduled_rows = scheduled_figures(raw["scheduled"])
    results |= scheduled_results

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
        *scheduled_rows,
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


def scheduled_figures(scheduled: dict[str, Any]) -> tuple[dict[str, float], list[Figure]]:
    """The scheduled probe's figures (bench/scheduled_probe.py), which it also writes alone."""
    # Absolute, compared with each other: the queue leaves nothing serial when 500 take no
    # longer than 500 / concurrency times one (and a quarter more).
    results = {
        "scheduled_1_instance_seconds": float(scheduled["scheduled_1_instance_seconds"]),
        "scheduled_500_instances_seconds": float(scheduled["scheduled_500_instances_seconds"]),
        "scheduled_concurrency": float(scheduled["scheduled_concurrency"]),
        "digest_reads_ratio_500_instances": (
            scheduled["digest_reads_500_instances"] / scheduled["digest_reads_alone"]
        ),
    }
    results = {key: round(value, 3) for key, value in results.items()}
    limit = 1.25 * 500 / results["scheduled_concurrency"] * results["scheduled_1_instance_seconds"]
    table = [
        Figure(
            "scheduled_1_instance_seconds",
            "Scheduled work of one instance: its task alone in a warm worker, seconds",
            "reference",
            None,
            f"median of runs {scheduled['single_runs_seconds']}",
        ),
        Figure(
            "scheduled_500_instances_seconds",
            "Scheduled work of 500 instances, one task each on the queue, seconds",
            "≤ 1.25 x 500 / concurrency x one",
            lambda v: v <= limit,
            f"{scheduled['dispatched']} tasks dispatched, {scheduled['digests_sent']} digests "
            f"sent; limit {limit:.1f} s",
        ),
        Figure(
            "scheduled_concurrency",
            "Tasks the queue runs at once (played locally by as many worker processes)",
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
    ]
    return results, table
