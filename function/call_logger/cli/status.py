"""`status`: each known instance's state and since when, and what its last health check found
(--refresh checks now)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from call_logger.cli._common import Exit, add_json, load_config, read_store, require_green_api
from call_logger.settings.config import Config

NAME = "status"
HELP = "print each known instance's state (from stateInstanceChanged) and since when"
DESCRIPTION = (
    "Print the state of each GREEN-API instance that has sent stateInstanceChanged "
    "(Firestore collection `instances`, or the DynamoDB table), when it changed, and "
    "what to do about it. Reads the store settings as the function does. The instance "
    "sends these notifications only with its setting stateWebhook = yes."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json(parser, "a JSON array of the instances' fields instead")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help=(
            "check each instance now, as the scheduled run does (getStateInstance, "
            "getWebhooksCount: a changed state is recorded and alerts), then print"
        ),
    )


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger.flows import status as instance_status

    config = load_config("status", env)
    failed = 0
    if args.refresh:
        require_green_api("status", config, lacking="--refresh needs")
        failed = _refresh(config)
    found = read_store("status", lambda: instance_status.fetch(config), "the instance states")
    instances = config.instances
    print(
        instance_status.as_json(found, instances)
        if args.json
        else instance_status.as_table(
            found,
            instances,
            lambda instance_id: config.settings_for(instance_id).webhook_backlog_alert,
        )
    )
    return Exit.FAILED if failed else Exit.OK


def _refresh(config: Config) -> int:
    """The health check of every instance now; its lines go to stderr (stdout stays the
    table or the JSON). How many instances it could not fully check."""
    from call_logger.flows.health import check_instances
    from call_logger.settings.logs import configure_for

    configure_for(config, sys.stderr)
    reports = check_instances(config)
    for report in reports:
        if report.errors:
            print(
                f"status: instance {report.instance_id} not fully checked: "
                + "; ".join(report.errors),
                file=sys.stderr,
            )
    return sum(bool(report.errors) for report in reports)
