"""`events deliver` and `events list --failed` (docs/events.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from call_logger.config import Config, ConfigError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "events",
        help="deliver the outbox's events, or list those given up",
        description=(
            "The events of docs/events.md. `deliver` makes one attempt at every pending event "
            "(or at --id alone), as the change-stream trigger does for each new one; "
            "`list --failed` prints the events given up (a day of retries, or a 410 Gone), one "
            "JSON object a line. Reads the store and EVENTS_URL settings as the function does."
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    deliver = actions.add_parser("deliver", help="one attempt at every pending event")
    deliver.add_argument("--id", metavar="EVENT_ID", help="only this event (its webhook-id)")
    deliver.set_defaults(run=run_deliver)
    listing = actions.add_parser("list", help="list the outbox's events")
    listing.add_argument("--failed", action="store_true", required=True, help="the events given up")
    listing.set_defaults(run=run_list)


def run_deliver(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Exit 0 when nothing is left to retry, 1 when a receiver did not take an event."""
    from call_logger.event_delivery import (
        DeliveryFailed,
        Run,
        deliver,
        deliver_pending,
        post_with_requests,
    )
    from call_logger.logs import configure_for
    from call_logger.store import StorageUnavailable, make_outbox

    try:
        config = Config.from_env(env)
    except ConfigError as error:
        return _fail(str(error), EXIT_USAGE)
    configure_for(config)  # the function's JSON lines: secrets redacted, chat ids masked
    try:
        outbox = make_outbox(config)
        if args.id is None:
            run = deliver_pending(config, outbox, post_with_requests())
        else:
            run = Run()
            try:
                result = deliver(config, outbox, args.id, post_with_requests())
                run.add("nothing to do" if result is None else result.value)
            except DeliveryFailed:
                run.add("retry")
    except StorageUnavailable as error:
        return _fail(f"cannot read the outbox: {error}", EXIT_FAILED)
    except ConfigError as error:  # an instance without EVENTS_SECRET: its events wait
        return _fail(str(error), EXIT_USAGE)
    print(json.dumps(run.counts, sort_keys=True))
    return EXIT_FAILED if run.counts.get("retry") else EXIT_OK


def run_list(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger.event_delivery import failed_events
    from call_logger.store import StorageUnavailable, make_outbox

    try:
        config = Config.from_env(env)
    except ConfigError as error:
        return _fail(str(error), EXIT_USAGE)
    try:
        for fields in failed_events(make_outbox(config), datetime.now(UTC)):
            print(json.dumps(fields, default=_text, ensure_ascii=False, sort_keys=True))
    except StorageUnavailable as error:
        return _fail(f"cannot read the outbox: {error}", EXIT_FAILED)
    return EXIT_OK


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _fail(message: str, code: int) -> int:
    print(f"events: {message}", file=sys.stderr)
    return code
