"""`calls export`: every record of a period to standard output as CSV or JSON Lines."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from call_logger.cli._common import (
    Exit,
    add_instance,
    fail,
    load_config,
    named_instance,
    read_store,
)
from call_logger.core.export import WRITERS, when

NAME = "export"
HELP = "every record of a period as CSV or JSON Lines, for a spreadsheet or a warehouse"
DESCRIPTION = (
    "Write every call record with --since <= time <= --until to standard output, newest "
    "first: CSV (RFC 4180, a header row) or JSON Lines, times in TIMEZONE. A bound is a "
    "duration back from now (7d), a date (2026-11-01, in TIMEZONE; --until: through the "
    "end of that day) or a date and time (2026-11-01T09:00)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", required=True, metavar="WHEN", help="e.g. 30d or 2026-11-01")
    parser.add_argument("--until", default="0s", metavar="WHEN", help="default: now")
    add_instance(parser, "only this instance's calls, in its own TIMEZONE")
    parser.add_argument(
        "--format", choices=tuple(WRITERS), default="csv", help="default %(default)s"
    )


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from datetime import UTC, datetime

    from call_logger.flows import export
    from call_logger.stores.factory import with_store

    config = load_config("calls export", env)
    zone, now = config.timezone, datetime.now(UTC)
    if named_instance("calls export", config, args.instance) is not None:
        zone = config.settings_for(args.instance).timezone
    try:
        since = when(args.since, zone, now)
        until = when(args.until, zone, now, end_of_day=True)
    except ValueError as error:
        return fail("calls export", str(error), Exit.USAGE)
    read_store(
        "calls export",
        lambda: with_store(
            config,
            lambda store: export.write(
                store, config, since, until, args.instance, args.format, sys.stdout
            ),
        ),
    )
    return Exit.OK
