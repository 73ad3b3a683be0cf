"""`poll`: take notifications from the instance queue, without a public URL."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
from collections.abc import Mapping

from call_logger.cli._common import Exit, fail, load_config, require_green_api
from call_logger.settings.limits import DEFAULT_RECEIVE_TIMEOUT, RECEIVE_TIMEOUT_RANGE

NAME = "poll"
HELP = "without a public URL: take notifications from the instance queue (webhookUrl empty)"
DESCRIPTION = (
    "Long-poll the instance's notification queue (receiveNotification), record calls "
    "exactly as the webhook does, and delete each notification once it is handled "
    "(deleteNotification). GREEN-API queues notifications for polling only while the "
    "instance's webhookUrl is EMPTY: clear it first (in the console, or setSettings). "
    "Needs GREEN_API_ID_INSTANCE and GREEN_API_TOKEN (GREEN_API_URL: the instance's "
    "apiUrl) and the storage settings the function uses (STORE and its database). "
    "SIGINT or SIGTERM stops it "
    "after the notification in hand."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--receive-timeout",
        type=_receive_timeout,
        default=DEFAULT_RECEIVE_TIMEOUT,
        metavar="SECONDS",
        help=(
            "how long one receiveNotification waits for a notification, "
            f"{RECEIVE_TIMEOUT_RANGE[0]} to {RECEIVE_TIMEOUT_RANGE[1]} "
            f"(default {DEFAULT_RECEIVE_TIMEOUT})"
        ),
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help=(
            "handle what is queued, then exit 0 (for a scheduled job); exit 1 if storage or "
            "GREEN-API keeps failing (the notification stays queued)"
        ),
    )


def _receive_timeout(text: str) -> int:
    low, high = RECEIVE_TIMEOUT_RANGE
    try:
        seconds = int(text)
    except ValueError:
        seconds = low - 1
    if not low <= seconds <= high:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds, {low} to {high}")
    return seconds


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    config = load_config("poll", env)
    require_green_api("poll", config)
    from call_logger.settings.logs import configure_for

    configure_for(config)  # the function's JSON lines: chat ids masked, tokens redacted

    from call_logger.flows.poller import poll_instances
    from call_logger.flows.webhook import build_service
    from call_logger.green_api import ClientPool  # requests: only here

    clients = ClientPool(config.instances)
    try:
        service = build_service(config, clients)
    except Exception as error:  # e.g. no credentials or project for the database
        return fail("poll", f"cannot use the store ({config.store}): {error}", Exit.FAILED)

    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        logging.getLogger(__name__).info(
            "%s: stopping after the notification in hand", signal.Signals(signum).name
        )
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.closing(clients):
            return poll_instances(
                config.instances.with_token(),
                clients,
                service,
                receive_timeout=args.receive_timeout,
                stop=stop,
                once=args.once,
            )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
