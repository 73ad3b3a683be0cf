"""Operator commands: `python -m call_logger <command>` (installed as `call-logger`).

Adding a command takes one module in this package with NAME, HELP and DESCRIPTION,
`add_arguments(parser)` and `run(args, env) -> exit code` (the _common.Command protocol), and
one entry in COMMANDS. What commands share (exit codes, errors, the configuration, common
flags) is in _common.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping

from call_logger.cli import (
    calls,
    configure_instance,
    poll,
    preflight,
    preflight_aws,
    reconcile,
    status,
    wait_ready,
)
from call_logger.cli._common import Command, CommandFailed, fail, register

COMMANDS: list[Command] = [
    configure_instance,
    poll,
    calls,
    reconcile,
    status,
    preflight,
    preflight_aws,
    wait_ready,
]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace, Mapping[str, str]], int] = args.run
    try:
        return run(args, os.environ)
    except CommandFailed as failure:
        return fail(failure.command, failure.message, failure.code)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="call-logger", description="GREEN-API incoming-call logger commands."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        register(commands, command)
    return parser
