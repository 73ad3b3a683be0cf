"""`calls`: recent call records, newest first; its views `calls report`, `calls digest` and
`calls export`."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from call_logger.cli import digest, export, report
from call_logger.cli._common import (
    Exit,
    add_duration,
    add_json,
    fail,
    load_config,
    read_store,
    register,
)

NAME = "calls"
HELP = "print recent call records, newest first"
DESCRIPTION = (
    "Print the call records the function wrote, newest first, from the store it writes "
    "(STORE: Firestore's collection group `records`, or the DynamoDB table). Reads the "
    "storage settings as the function does (GOOGLE_CLOUD_PROJECT, FIRESTORE_DATABASE, "
    "FIRESTORE_EMULATOR_HOST; DYNAMODB_TABLE). Times are UTC."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_duration(parser, "--since", "24h", "how far back, e.g. 90m, 24h, 7d")
    parser.add_argument(
        "--chat",
        metavar="CHAT",
        help="only this chat: a chat id (79001234567@c.us) or a phone number (+79001234567)",
    )
    parser.add_argument(
        "--unanswered",
        action="store_true",
        help="only records whose status is neither offer nor pickUp",
    )
    parser.add_argument(
        "--limit",
        type=_positive,
        default=100,
        help="at most this many records (default %(default)s)",
    )
    add_json(parser, "a JSON array of the records' fields instead")
    views = parser.add_subparsers(dest="view", metavar="VIEW")
    register(views, report)
    register(views, digest)
    register(views, export)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return number


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger.flows import recent_calls

    config = load_config("calls", env)
    try:
        query = recent_calls.CallQuery.from_options(
            since=args.since, chat=args.chat, unanswered=args.unanswered, limit=args.limit
        )
    except ValueError as error:
        return fail("calls", str(error), Exit.USAGE)
    found = read_store("calls", lambda: recent_calls.fetch(config, query))
    instances = config.instances
    print(
        recent_calls.as_json(found, instances)
        if args.json
        else recent_calls.as_table(found, query, instances)
    )
    return Exit.OK
