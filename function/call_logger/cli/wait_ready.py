"""`wait-ready`: wait until each GREEN-API instance says `authorized`.

Run by `make deploy` between configure-instance and the backfill: setSettings restarts the
instance, and a backfill that meets it starting fails. Asks getStateInstance every --interval
seconds (GREEN-API allows one request a second) for at most --timeout, one progress line per
answer; what each answer means is core.readiness's.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping

from call_logger.cli._common import (
    Exit,
    add_duration,
    duration_option,
    load_config,
    pick_instances,
    require_green_api,
)
from call_logger.core.readiness import after_answer

NAME = "wait-ready"
HELP = "wait until the GREEN-API instance is authorized (after setSettings restarts it)"
DESCRIPTION = (
    "Ask getStateInstance of the instance named by GREEN_API_URL, GREEN_API_ID_INSTANCE and "
    "GREEN_API_TOKEN (or of every instance of GREEN_API_INSTANCES with --all) until it answers "
    "authorized. Exits 0 when every instance is authorized, 1 when one is still not after "
    "--timeout or needs a person (logged out, banned)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--all", action="store_true", help="every instance of GREEN_API_INSTANCES")
    add_duration(parser, "--timeout", "5m", "the longest wait")
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between two questions to one instance (default %(default)g)",
    )


def run(
    args: argparse.Namespace,
    env: Mapping[str, str],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    config = load_config(NAME, env)
    bound = duration_option(NAME, "--timeout", args.timeout).total_seconds()
    targets = pick_instances(NAME, config, args.all, None)
    require_green_api(NAME, config)

    from call_logger.green_api import GreenApiClient, GreenApiError  # requests: only here

    start = clock()
    not_ready = 0
    for instance in targets:
        client = GreenApiClient.for_instance(instance)
        assert client is not None  # only instances with a token are targets
        with client:
            while True:
                try:
                    state: str | None = client.get_state_instance()
                except GreenApiError:  # starting instances answer 4xx/5xx for a while
                    state = None
                step = after_answer(instance.id, state, clock() - start, bound)
                print(f"{NAME}: {step.line}", flush=True)
                if step.done:
                    not_ready += not step.ready
                    break
                sleep(args.interval)
    return Exit.FAILED if not_ready else Exit.OK
