"""`reconcile`: add the calls GREEN-API's journal has and the log lacks."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping

from call_logger.cli._common import (
    Exit,
    add_duration,
    add_json,
    duration_option,
    fail,
    load_config,
    require_green_api,
)
from call_logger.core.journal import ReconcileRun
from call_logger.settings.config import Config
from call_logger.settings.parse import format_duration

NAME = "reconcile"
HELP = "add the calls GREEN-API's call journal knows and the log lacks (lost webhooks)"
DESCRIPTION = (
    "Read the instance's call journal (lastIncomingCalls) and record every final status "
    "the log lacks, exactly as the webhook would have (CALL_MODE, labels, layout), with "
    "source=journal. A call already recorded under the same id, or with the same status "
    "within RECONCILE_MATCH_WINDOW (default "
    f"{format_duration(Config.reconcile_match_window)}) in the same chat, is not added again. "
    "Needs GREEN_API_ID_INSTANCE and GREEN_API_TOKEN (or GREEN_API_INSTANCES: every "
    "instance in turn) and the store settings the function uses. "
    "Exit 0 when done, 1 when GREEN-API or storage failed (a rerun completes it), "
    "2 for usage or missing settings."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_duration(parser, "--since", "24h", "how far back the journal is read, e.g. 90m, 24h, 30d")
    parser.add_argument(
        "--dry-run", action="store_true", help="write nothing; report what it would add"
    )
    add_json(
        parser,
        "one JSON object: journal, already_recorded, added, skipped, rejected, dry_run "
        "(with several instances, the totals and each one's under `instances`)",
    )
    add_duration(
        parser,
        "--lookup-budget",
        f"{ReconcileRun.lookup_budget:g}s",
        "total time for caller-name lookups, one per second at most, 0 for none",
    )


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    config = load_config("reconcile", env)
    since = duration_option("reconcile", "--since", args.since, positive=True)
    lookup_budget = duration_option("reconcile", "--lookup-budget", args.lookup_budget)
    require_green_api("reconcile", config)
    from call_logger.core.journal import run_counts, run_error
    from call_logger.flows.reconcile import run_reconcile
    from call_logger.settings.logs import configure_for

    # The function's JSON lines (the run's reconcile.run line, failed lookups), on stderr: stdout
    # is the result alone.
    configure_for(config, sys.stderr)

    reports = run_reconcile(
        config, ReconcileRun(since, args.dry_run, lookup_budget.total_seconds())
    )
    if args.json:
        print(json.dumps(run_counts(reports), sort_keys=True))
    else:
        for report in reports:
            print(f"reconcile: {report.summary()}.")
    failure = run_error(reports) if len(reports) > 1 else reports[0].error
    if failure is not None:
        return fail("reconcile", f"stopped: {failure}", Exit.FAILED)
    return Exit.OK
