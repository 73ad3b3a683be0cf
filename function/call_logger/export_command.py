"""`calls export --since --until [--instance] --format csv|jsonl`: every record of the window to
standard output as the store pages it in (export.py says the columns)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from call_logger import export
from call_logger.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, _fail
from call_logger.config import Config, ConfigError
from call_logger.store import Store, Unreachable, with_store


def add_parser(views: Any) -> None:
    parser = views.add_parser(
        "export",
        help="every record of a period as CSV or JSON Lines, for a spreadsheet or a warehouse",
        description=(
            "Write every call record with --since <= time <= --until to standard output, newest "
            "first: CSV (RFC 4180, a header row) or JSON Lines, times in TIMEZONE. A bound is a "
            "duration back from now (7d), a date (2026-11-01, in TIMEZONE; --until: through the "
            "end of that day) or a date and time (2026-11-01T09:00)."
        ),
    )
    parser.add_argument("--since", required=True, metavar="WHEN", help="e.g. 30d or 2026-11-01")
    parser.add_argument("--until", default="0s", metavar="WHEN", help="default: now")
    parser.add_argument("--instance", type=int, metavar="ID", help="only this instance's calls")
    parser.add_argument("--format", choices=export.FORMATS, default="csv", help="default csv")
    parser.set_defaults(run=calls_export)


def calls_export(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    try:
        config = Config.from_env(env)
    except ConfigError as error:
        return _fail("calls export", str(error), EXIT_USAGE)
    zone, now = config.timezone, datetime.now(UTC)
    if args.instance is not None:
        if args.instance not in config.instances.by_id:
            return _fail(
                "calls export", f"--instance {args.instance} is not configured", EXIT_USAGE
            )
        zone = config.settings_for(args.instance).timezone
    try:
        since = export.when(args.since, zone, now)
        until = export.when(args.until, zone, now, end_of_day=True)
    except ValueError as error:
        return _fail("calls export", str(error), EXIT_USAGE)

    def write(store: Store) -> int:
        found = export.in_window(store.recent_records(since, None), until, args.instance)
        rows = (export.row(fields, zone, config.instances.label_of) for fields in found)
        return export.WRITERS[args.format](rows, sys.stdout)

    try:
        with_store(config, write)
    except Unreachable as error:
        return _fail("calls export", f"cannot read the records: {error}", EXIT_FAILED)
    return EXIT_OK
