"""`status`: each known instance's state and since when."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from call_logger.cli._common import EXIT_FAILED, EXIT_OK, add_json, fail, load_config

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


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger.flows import status as instance_status
    from call_logger.stores.base import Unreachable

    config = load_config("status", env)
    try:
        found = instance_status.fetch(config)
    except Unreachable as error:
        return fail("status", f"cannot read the instance states: {error}", EXIT_FAILED)
    instances = config.instances
    print(
        instance_status.as_json(found, instances)
        if args.json
        else instance_status.as_table(found, instances)
    )
    return EXIT_OK
