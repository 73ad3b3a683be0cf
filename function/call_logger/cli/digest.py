"""`calls digest`: the daily digest of a day, printed, or sent to the operator once (--send)."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from call_logger.cli._common import Exit, add_instance, fail, load_config, pick_instances
from call_logger.settings.config import Config

if TYPE_CHECKING:
    from call_logger.flows.reporting import Digest

NAME = "digest"
HELP = "the daily digest: yesterday's calls and who waits for a call back"
DESCRIPTION = (
    "Print the digest of a day (default: yesterday in TIMEZONE). With --send, also "
    "send it to OPERATOR_CHAT_ID through GREEN-API, at most once per day: the day is "
    "remembered in the store, so a second --send for it sends nothing."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--date", type=_date, metavar="YYYY-MM-DD", help="the day (default: yesterday)"
    )
    parser.add_argument("--send", action="store_true", help="send it to OPERATOR_CHAT_ID")
    add_instance(
        parser,
        "with GREEN_API_INSTANCES: only this instance's digest (default: each instance's)",
    )


def _date(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a date such as 2026-11-30") from None


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger.flows import reporting
    from call_logger.stores.base import Unreachable
    from call_logger.stores.factory import with_store

    config = load_config("calls digest", env)
    if len(config.instances) > 1 or config.instance_map:
        return _digest_per_instance(args, config)
    green_api = None
    if args.send:
        from call_logger.green_api import GreenApiClient

        green_api = GreenApiClient.from_config(config)
        if green_api is None or not config.operator_chat_id:
            return fail(
                "calls digest",
                "--send needs OPERATOR_CHAT_ID, GREEN_API_ID_INSTANCE and GREEN_API_TOKEN",
                Exit.USAGE,
            )
    try:
        result = with_store(
            config,
            lambda store: reporting.run_digest(store, config, green_api, args.date, args.send),
        )
    except Unreachable as error:
        return fail("calls digest", f"cannot read the records: {error}", Exit.FAILED)
    except Exception as error:  # GREEN-API refused or failed: its message is token-free
        return fail("calls digest", f"not sent: {error}", Exit.FAILED)
    _print(result)
    return Exit.OK


def _digest_per_instance(args: argparse.Namespace, config: Config) -> int:
    """Each instance's digest: its own calls, in its own TIMEZONE, sent (--send) through it to
    its own operator chat. One failing instance does not stop the others."""
    from call_logger.flows import reporting
    from call_logger.green_api import GreenApiClient
    from call_logger.stores.base import Unreachable
    from call_logger.stores.factory import with_store

    targets = pick_instances("calls digest", config, args.instance is None, args.instance)
    failed = 0
    for instance in targets:
        settings = config.for_instance(instance.id)
        print(f"== instance {instance.name}")
        send = args.send and bool(settings.operator_chat_id)
        if args.send and not send:
            print(f"(instance {instance.name} has no operatorChatId: not sent)", file=sys.stderr)
        client = GreenApiClient.for_instance(instance) if send else None
        digest_of = functools.partial(
            reporting.run_digest,
            config=settings,
            green_api=client,
            day=args.date,
            send=send,
            instance_id=instance.id,
        )
        try:
            result = with_store(config, digest_of)
        except Unreachable as error:
            return fail("calls digest", f"cannot read the records: {error}", Exit.FAILED)
        except Exception as error:  # GREEN-API refused or failed: its message is token-free
            print(f"calls digest: instance {instance.name}: not sent: {error}", file=sys.stderr)
            failed += 1
            continue
        finally:
            if client is not None:
                client.close()
        _print(result)
    return Exit.FAILED if failed else Exit.OK


def _print(result: Digest) -> None:
    """The digest's text; a note on stderr when it was sent before."""
    print(result.text)
    if result.already_sent:
        print(f"(the digest of {result.day} was sent before; not sent again)", file=sys.stderr)
