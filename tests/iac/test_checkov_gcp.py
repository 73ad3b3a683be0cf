"""checkov over terraform/gcp, read from its JSON report.

checkov's exit code is not enough: it exits 0 when a file fails to parse (the file is just not
scanned). So this reads the report and fails on any failed check or parsing error, and it pins
the set of skipped checks, so a new inline `#checkov:skip` must be reviewed here too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "terraform" / "gcp"
CHECKOV = Path(sys.executable).with_name("checkov")

# Deliberate exceptions, each explained where it is skipped.
EXPECTED_SKIPS = {
    ("CKV_GCP_102", "google_cloud_run_service_iam_member.public_invoker"),
    # The functions, one keyed resource that checkov does not expand: the webhook and reconcile
    # take ALLOW_ALL; the events' internal-only ingress is test_events_gcp.py's to check.
    ("CKV_GCP_124", "google_cloudfunctions2_function.this"),
    ("CKV_GCP_62", "google_storage_bucket.source"),
    ("CKV_GCP_78", "google_storage_bucket.source"),
}


@pytest.fixture(scope="module")
def reports() -> list[dict[str, Any]]:
    run = subprocess.run(
        [str(CHECKOV), "--skip-download", "-o", "json", "-d", str(STACK)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert run.returncode in (0, 1), run.stderr  # 1: failed checks, read from the report
    data = json.loads(run.stdout)
    return data if isinstance(data, list) else [data]


def _terraform(reports: list[dict[str, Any]]) -> dict[str, Any]:
    (report,) = [r for r in reports if r.get("check_type") == "terraform"]
    return report


def test_terraform_was_scanned_without_parsing_errors(reports: list[dict[str, Any]]) -> None:
    summary = _terraform(reports)["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] > 20
    assert summary["passed"] > 0


def test_no_failed_checks(reports: list[dict[str, Any]]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']})"
        for report in reports
        for c in report.get("results", {}).get("failed_checks", [])
    ]
    assert failed == []
    for report in reports:
        assert report["summary"]["failed"] == 0
        assert report["summary"]["parsing_errors"] == 0


def test_every_skip_is_expected_and_has_a_reason(reports: list[dict[str, Any]]) -> None:
    skipped = _terraform(reports)["results"]["skipped_checks"]
    assert {(c["check_id"], c["resource"]) for c in skipped} == EXPECTED_SKIPS
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "").strip()) > 20, check
