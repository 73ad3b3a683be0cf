"""Cheap checks of the benchmark code paths (the benchmark itself is `make bench`, not a test)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from call_logger.settings.config import Config

from bench.figures import figures
from bench.measure import MANY_INSTANCES, instance_map, probe
from bench.probes import IGNORED_SAMPLES, SAMPLES
from bench.report import SCHEDULED_METHOD, markdown
from bench.scheduled_probe import ALONE_NOTE, write_alone
from bench.settings import BENCH, Settings
from devserver.emulator import FirestoreEmulator

KEYS = {
    "ignored_rps_ratio",
    "ignored_p99_ratio",
    "cold_start_ratio",
    "cold_start_ratio_500_instances",
    "roundtrips_per_recorded_call",
    "contact_lookups_per_caller",
    "recorded_rps_ratio",
    "peer_tornado_rps_ratio",
    "reconcile_10k_seconds",
    "reconcile_reads_per_100_recorded",
    "scheduled_1_instance_seconds",
    "scheduled_500_instances_seconds",
    "scheduled_concurrency",
    "digest_reads_ratio_500_instances",
}


def _load(rps: float, p99_ms: float) -> dict[str, Any]:
    return {"rps": rps, "p99_ms": p99_ms, "rps_runs": [rps], "p99_ms_runs": [p99_ms]}


def test_ignored_path_imports_neither_firestore_nor_requests() -> None:
    result = probe("imports")
    assert result["statuses"] == [200, 200, 200]
    assert result["imported"] == {"google.cloud.firestore": False, "requests": False}


def test_results_have_one_number_per_key_and_a_table_row_each() -> None:
    raw = {
        "loadavg": "0.5 0.5 0.5 → 0.5 0.5 0.5",
        "ignored": {
            "ours": _load(1900, 5.5),
            "baseline": _load(2000, 5.0),
            "peer": _load(3800, 2.0),
        },
        "cold_start": {
            "ours": {"median_s": 0.5, "runs_s": [0.5]},
            "ours_500_instances": {"median_s": 0.55, "runs_s": [0.55]},
            "baseline": {"median_s": 0.5, "runs_s": [0.5]},
        },
        "imports": probe("imports"),
        "roundtrips": {
            "callers": 5,
            "notifications_per_caller": 8,
            "roundtrips_per_recorded_call": 2.0,
            "roundtrips_max_cached": 2,
            "roundtrips_first_of_caller": 2.0,
            "roundtrips_per_duplicate": 1.0,
            "cached_rpcs_by_method": {"BatchGetDocuments": 35, "Commit": 35},
            "contact_lookups": 5,
            "contact_lookups_per_caller": 1.0,
        },
        "recorded": {"ours": _load(90, 80), "baseline": _load(100, 40)},
        "reconcile": {
            "entries": 10000,
            "already_recorded_before": 9000,
            "added": 1000,
            "reconcile_seconds": 29.9,
            "second_run_read_rpcs": 200,
            "reads_per_100_recorded": 2.0,
        },
        "scheduled": {
            "scheduled_1_instance_seconds": 0.2,
            "single_runs_seconds": [0.2],
            "scheduled_500_instances_seconds": 12.5,
            "scheduled_concurrency": 10,
            "dispatched": 500,
            "digests_sent": 500,
            "digest_reads_alone": 10,
            "digest_reads_500_instances": 11,
        },
    }
    results, table = figures(raw)
    assert set(results) == KEYS
    assert all(isinstance(value, float) for value in json.loads(json.dumps(results)).values())
    assert results["ignored_rps_ratio"] == 0.95
    assert results["peer_tornado_rps_ratio"] == 0.5
    assert results["cold_start_ratio_500_instances"] == 1.1
    assert results["reconcile_10k_seconds"] == 29.9
    assert results["digest_reads_ratio_500_instances"] == 1.1
    text = markdown(results, table, raw, Settings())
    for key in KEYS:
        assert f"`{key}`" in text
    assert "make bench" in text
    assert SCHEDULED_METHOD in text.splitlines()
    assert "**FAIL**" not in text  # every figure above meets its goal exactly


def test_the_500_instance_map_is_one_the_function_accepts() -> None:
    config = Config.from_env({"GREEN_API_INSTANCES": instance_map(MANY_INSTANCES)})
    assert len(config.instances) == MANY_INSTANCES
    assert all(instance.label and instance.settings for instance in config.instances)
    # The cold start waits for a 200 to a sample body: its instance must be in the map.
    for name in IGNORED_SAMPLES:
        body = json.loads((SAMPLES / f"{name}.json").read_text())
        assert config.instances.allows(body["instanceData"]["idInstance"]), name


def test_reconcile_probe_counts_one_read_per_100_recorded_entries(
    emulator: FirestoreEmulator,
) -> None:
    emulator.wipe()
    result = probe("reconcile", emulator.environ() | {"RECONCILE_BENCH_ENTRIES": "300"})
    assert (result["entries"], result["added"]) == (300, 30)
    assert result["second_run_read_rpcs"] == 3
    assert result["reads_per_100_recorded"] == 1.0


def test_scheduled_probe_runs_the_real_dispatch_and_tasks(emulator: FirestoreEmulator) -> None:
    emulator.wipe()
    result = probe("scheduled", emulator.environ() | {"SCHEDULED_BENCH_INSTANCES": "12"})
    assert (result["instances"], result["dispatched"], result["digests_sent"]) == (12, 12, 12)
    assert result["digest_reads_alone"] == result["digest_reads_500_instances"] == 1


def test_the_scheduled_probe_alone_replaces_its_figures_and_says_so(tmp_path: Path) -> None:
    for name in ("results.json", "results.md"):
        shutil.copy(BENCH / name, tmp_path / name)
    before_json = json.loads((tmp_path / "results.json").read_text())
    before_md = (tmp_path / "results.md").read_text().splitlines()
    raw = {
        "scheduled_1_instance_seconds": 1.2,
        "single_runs_seconds": [1.2, 1.3, 1.1],
        "scheduled_500_instances_seconds": 61.25,
        "scheduled_concurrency": 10,
        "dispatched": 500,
        "digests_sent": 500,
        "digest_reads_alone": 1,
        "digest_reads_500_instances": 1,
    }

    write_alone(raw, tmp_path, "a day")
    write_alone(raw, tmp_path, "a day")  # a second run replaces the first's rows and note

    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["scheduled_500_instances_seconds"] == 61.25
    assert {k: v for k, v in stored.items() if not k.startswith("scheduled_")} == {
        k: v for k, v in before_json.items() if not k.startswith("scheduled_")
    }
    lines = (tmp_path / "results.md").read_text().splitlines()
    (row,) = [line for line in lines if "| `scheduled_500_instances_seconds` |" in line]
    assert "| 61.25 | pass | 500 tasks dispatched, 500 digests sent; limit 75.0 s |" in row
    (note,) = [n for n, line in enumerate(lines) if line.startswith(ALONE_NOTE)]
    assert "`python -m bench.scheduled_probe`, a day" in lines[note]
    assert (lines[note - 1], lines[note + 1]) == ("", "")  # a paragraph of its own
    assert lines[note - 2].startswith("| ")  # under the table
    assert lines.count(SCHEDULED_METHOD) == 1
    changed = {"scheduled_", "digest_reads_ratio", ALONE_NOTE, "- Scheduled:"}
    kept = [line for line in lines if line and not any(mark in line for mark in changed)]
    assert kept == [line for line in before_md if line and not any(m in line for m in changed)]
