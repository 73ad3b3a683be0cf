"""`events deliver` and `events list --failed` (docs/events.md)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import UTC, datetime

from call_logger.cli._common import Exit, fail, load_config

NAME = "events"
HELP = "deliver the outbox's events, or list those given up"
DESCRIPTION = (
    "The events of docs/events.md. `deliver` makes one attempt at every pending event (or at "
    "--id alone), as the change-stream trigger does for each new one, and exits 1 when a "
    "receiver did not take one; `list --failed` prints the events given up (a day of retries, "
    "or a 410 Gone), one JSON object a line. Reads the store and EVENTS_URL settings as the "
    "function does."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    deliver = actions.add_parser("deliver", help="one attempt at every pending event")
    deliver.add_argument("--id", metavar="EVENT_ID", help="only this event (its webhook-id)")
    listing = actions.add_parser("list", help="list the outbox's events")
    listing.add_argument("--failed", action="store_true", required=True, help="those given up")


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    return _deliver(args, env) if args.action == "deliver" else _list(env)


def _deliver(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger.flows.events import (
        DeliveryFailed,
        Run,
        deliver,
        deliver_pending,
        post_with_requests,
    )
    from call_logger.settings.config import ConfigError
    from call_logger.settings.logs import configure_for
    from call_logger.stores.base import StorageUnavailable
    from call_logger.stores.factory import make_outbox

    config = load_config(NAME, env)
    configure_for(config)  # the function's JSON lines: secrets redacted, chat ids masked
    try:
        outbox = make_outbox(config)
        if args.id is None:
            done = deliver_pending(config, outbox, post_with_requests())
        else:
            done = Run()
            try:
                result = deliver(config, outbox, args.id, post_with_requests())
                done.add("nothing to do" if result is None else result.value)
            except DeliveryFailed:
                done.add("retry")
    except StorageUnavailable as error:
        return fail(NAME, f"cannot read the outbox: {error}", Exit.FAILED)
    except ConfigError as error:  # an instance without EVENTS_SECRET: its events wait
        return fail(NAME, str(error), Exit.USAGE)
    print(json.dumps(done.counts, sort_keys=True))
    return Exit.FAILED if done.counts.get("retry") else Exit.OK


def _list(env: Mapping[str, str]) -> int:
    from call_logger.flows.events import failed_events
    from call_logger.stores.base import StorageUnavailable
    from call_logger.stores.factory import make_outbox

    config = load_config(NAME, env)
    try:
        for fields in failed_events(make_outbox(config), datetime.now(UTC)):
            print(json.dumps(fields, default=_text, ensure_ascii=False, sort_keys=True))
    except StorageUnavailable as error:
        return fail(NAME, f"cannot read the outbox: {error}", Exit.FAILED)
    return Exit.OK


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
