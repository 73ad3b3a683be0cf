"""What every command shares, written once: exit codes, the one-line error, the configuration
read from the environment, the instances a command acts on, reading the store, and the flags
several commands take (DURATION options and their values, --json, --instance)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from call_logger.settings import parse
from call_logger.settings.config import Config, ConfigError

if TYPE_CHECKING:
    from call_logger.settings.instances import Instance


class Exit(IntEnum):
    """A command's exit code."""

    OK = 0
    FAILED = 1  # a rerun may succeed (GREEN-API or the store failed), or a check found a problem
    USAGE = 2  # a bad argument or setting: a rerun as it is fails again


T = TypeVar("T")

Subcommands = Any  # argparse's _SubParsersAction is private; typed loosely on purpose


class Command(Protocol):
    """A command module: its name, help line and description, its arguments, and what it runs
    (an exit code)."""

    NAME: str
    HELP: str
    DESCRIPTION: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, env: Mapping[str, str]) -> int: ...


def register(commands: Subcommands, command: Command) -> None:
    parser = commands.add_parser(command.NAME, help=command.HELP, description=command.DESCRIPTION)
    command.add_arguments(parser)
    parser.set_defaults(run=command.run)


class CommandFailed(Exception):
    """Ends a command with `<command>: <message>` on stderr and the exit code (main prints it)."""

    def __init__(self, command: str, message: str, code: int) -> None:
        super().__init__(message)
        self.command, self.message, self.code = command, message, code


def fail(command: str, message: str, code: int) -> int:
    print(f"{command}: {message}", file=sys.stderr)
    return code


def load_config(command: str, env: Mapping[str, str]) -> Config:
    """The function's configuration from `env`; a bad setting is a usage error."""
    try:
        return Config.from_env(env)
    except ConfigError as error:
        raise CommandFailed(command, str(error), Exit.USAGE) from None


def missing_green_api(config: Config) -> list[str]:
    """The settings a command that calls GREEN-API lacks ([] when it has an instance with a
    token: GREEN_API_ID_INSTANCE and GREEN_API_TOKEN, or GREEN_API_INSTANCES)."""
    if not config.instances:
        return ["GREEN_API_ID_INSTANCE"] + ([] if config.green_api_token else ["GREEN_API_TOKEN"])
    return [] if config.instances.with_token() else ["GREEN_API_TOKEN"]


def require_green_api(
    command: str, config: Config, also: Sequence[str] = (), lacking: str = "missing"
) -> None:
    """Ends the command with a usage error, `<lacking> <names>`, when it lacks a setting that
    GREEN-API needs (or, in `also`, anything else)."""
    missing = [*missing_green_api(config), *also]
    if missing:
        raise CommandFailed(command, f"{lacking} {', '.join(missing)}", Exit.USAGE)


def pick_instances(
    command: str, config: Config, every: bool, instance_id: int | None
) -> list[Instance]:
    """The instances a command acts on: all of them, the one named, or the only one."""
    instances = config.instances.with_token()
    if every:
        return instances
    if instance_id is not None:
        chosen = [instance for instance in instances if instance.id == instance_id]
        if not chosen:
            message = f"--instance {instance_id} is not an instance of GREEN_API_INSTANCES"
            raise CommandFailed(command, message, Exit.USAGE)
        return chosen
    if len(instances) > 1:
        message = (
            f"GREEN_API_INSTANCES names {len(instances)} instances: choose --all or --instance ID"
        )
        raise CommandFailed(command, message, Exit.USAGE)
    return instances


def named_instance(command: str, config: Config, instance_id: int | None) -> Instance | None:
    """The configured instance --instance names (None without --instance)."""
    if instance_id is None:
        return None
    instance = config.instances.get(instance_id)
    if instance is None:
        raise CommandFailed(command, f"--instance {instance_id} is not configured", Exit.USAGE)
    return instance


def read_store(command: str, read: Callable[[], T], what: str = "the records") -> T:
    """read() of the store; a store that cannot be reached ends the command."""
    from call_logger.stores.base import Unreachable

    try:
        return read()
    except Unreachable as error:
        raise CommandFailed(command, f"cannot read {what}: {error}", Exit.FAILED) from None


def duration_option(command: str, flag: str, text: str, positive: bool = False) -> timedelta:
    """The value of a DURATION option (more than zero if `positive`); a bad one is a usage
    error that names the flag."""
    read = parse.positive_duration if positive else parse.duration
    try:
        return read(text, flag)
    except ValueError as error:
        raise CommandFailed(command, str(error), Exit.USAGE) from None


def add_duration(parser: Any, flag: str, default: str, help: str, **more: Any) -> None:
    """A DURATION option (read with duration_option); its help ends with the default, written
    once (the argument)."""
    parser.add_argument(
        flag, default=default, metavar="DURATION", help=f"{help} (default %(default)s)", **more
    )


def add_json(parser: Any, help: str, dest: str = "json") -> None:
    parser.add_argument("--json", dest=dest, action="store_true", help=help)


def add_instance(parser: Any, help: str) -> None:
    """--instance ID (`parser` may be a mutually exclusive group)."""
    parser.add_argument("--instance", type=int, metavar="ID", help=help)
