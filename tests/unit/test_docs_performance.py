"""docs/performance.md quotes the committed run: its figures are those of bench/results.json, so
a new run committed without its prose (or prose without its run) fails here."""

from __future__ import annotations

import json

import pytest

from tests.support.docs import ROOT, section

RESULTS = json.loads((ROOT / "bench" / "results.json").read_text())
# How the page words each figure: the sentence with {} where the rounded figure stands.
QUOTED = [
    ("{} of a bare function's requests per", "ignored_rps_ratio", 2),
    ("p99 {} times", "ignored_p99_ratio", 2),
    ("cold start {} times", "cold_start_ratio", 2),
    ("{} times with 500 instances", "cold_start_ratio_500_instances", 2),
    ("costs {} Firestore round trips", "roundtrips_per_recorded_call", 0),
    ("took {} s, within its 30 s goal", "reconcile_10k_seconds", 1),
    ("One instance (reconcile, health check, digest) took {} s", "scheduled_1_instance_seconds", 2),
    ("500 instances on a queue of concurrency 10 took {} s", "scheduled_500_instances_seconds", 1),
    ("`digest_reads_ratio_500_instances` was {}:", "digest_reads_ratio_500_instances", 1),
]


@pytest.mark.parametrize(("wording", "key", "digits"), QUOTED, ids=[key for _, key, _ in QUOTED])
def test_the_page_quotes_the_committed_run(wording: str, key: str, digits: int) -> None:
    page = " ".join(section("performance.md", "Performance").split())
    assert wording.format(f"{RESULTS[key]:.{digits}f}") in page


def test_the_page_quotes_the_events_figures_of_the_committed_run() -> None:
    page = " ".join(section("performance.md", "Performance").split())
    assert f"was {RESULTS['recorded_rps_ratio_with_events']:.2f} in the committed run" in page
    assert f"was {RESULTS['events_delivered_per_second']:.1f} (a reference" in page
