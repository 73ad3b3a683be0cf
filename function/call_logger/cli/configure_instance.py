"""`configure-instance`: point GREEN-API instances at the deployed function (setSettings), or
compare (--check)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from call_logger.cli._common import (
    Exit,
    add_instance,
    fail,
    load_config,
    pick_instances,
    require_green_api,
)
from call_logger.core import instance_settings
from call_logger.settings.config import Config

if TYPE_CHECKING:
    from call_logger.green_api import GreenApiClient
    from call_logger.settings.instances import Instance


NAME = "configure-instance"
HELP = "point the GREEN-API instance's webhook at the function (setSettings)"
DESCRIPTION = (
    "Point the instance named by GREEN_API_URL, GREEN_API_ID_INSTANCE and "
    "GREEN_API_TOKEN, or instances of GREEN_API_INSTANCES (--all, or --instance ID), at "
    "the function: webhookUrl and webhookUrlToken, and on only the notifications the "
    "function reads (incomingCallWebhook, outgoingCallWebhook, stateWebhook; with "
    "CALLBACK_BY_MESSAGE, the default, outgoingMessageWebhook and "
    "outgoingAPIMessageWebhook), the rest off (outgoingWebhook; incomingWebhook unless "
    "kept): each notification is a paid invocation. Sends only the settings that differ "
    "from getSettings, and nothing when all match: setSettings restarts the instance."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--all",
        action="store_true",
        help="every instance of GREEN_API_INSTANCES, one after another (each reported)",
    )
    add_instance(which, "only this idInstance of GREEN_API_INSTANCES (e.g. one just added)")
    parser.add_argument("--webhook-url", required=True, help="the deployed function's URL")
    parser.add_argument(
        "--webhook-token",
        help="Bearer token GREEN-API sends (default: $WEBHOOK_TOKEN; the env keeps it out of ps)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; compare getSettings, and name the switches on but unused",
    )
    parser.add_argument(
        "--keep-incoming-webhook",
        action="store_true",
        help=(
            "leave incomingWebhook (every incoming chat message) on: only instances before "
            "GREEN-API 5.44.37.12 need it for calls (default: $KEEP_INCOMING_WEBHOOK)"
        ),
    )


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    config = load_config("configure-instance", env)
    webhook_url = args.webhook_url.strip()
    require_green_api("configure-instance", config, also=[] if webhook_url else ["--webhook-url"])
    parts = urlsplit(webhook_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return fail(
            "configure-instance",
            f"--webhook-url must be an http(s) URL, not {webhook_url!r}",
            Exit.USAGE,
        )
    targets = pick_instances("configure-instance", config, args.all, args.instance)
    # Each instance its own webhookUrlToken where the map gives one, else the deployment's.
    fallback = args.webhook_token or config.webhook_token
    tokenless = [str(instance.id) for instance in targets if not instance.webhook_token]
    if not args.check and tokenless and not fallback:
        return fail(
            "configure-instance",
            f"missing WEBHOOK_TOKEN (or --webhook-token, or a webhookUrlToken of instance "
            f"{', '.join(tokenless[:5])}): the function requires it",
            Exit.USAGE,
        )

    from call_logger.green_api import GreenApiClient, GreenApiError  # requests: only here

    failed = 0
    for instance in targets:
        if len(targets) > 1 or args.all:
            print(f"== instance {instance.name}")
        client = GreenApiClient.for_instance(instance)
        assert client is not None  # only instances with a token are targets
        with client:
            try:
                # The instance's own settings decide what it needs (replies, notices).
                settings = config.for_instance(instance.id)
                keep = args.keep_incoming_webhook or settings.keep_incoming_webhook
                if args.check:
                    code = _check_settings(client, settings, _needed(settings, webhook_url, keep))
                else:
                    token = instance.webhook_token or fallback
                    code = _set_settings(
                        client, instance, _needed(settings, webhook_url, keep, token)
                    )
            except GreenApiError as error:  # its message is already token-free
                print(
                    f"configure-instance: instance {instance.name}: GREEN-API call failed: {error}",
                    file=sys.stderr,
                )
                code = Exit.FAILED
        failed += code != Exit.OK
    if failed and len(targets) > 1:
        print(f"configure-instance: {failed} of {len(targets)} instances failed", file=sys.stderr)
    return Exit.FAILED if failed else Exit.OK


def _needed(
    config: Config, webhook_url: str, keep_incoming: bool, webhook_token: str | None = None
) -> dict[str, str]:
    return instance_settings.wanted(
        webhook_url,
        webhook_token,
        callback_by_message=config.callback_by_message,
        keep_incoming_webhook=keep_incoming,
    )


def _set_settings(client: GreenApiClient, instance: Instance, needed: dict[str, str]) -> int:
    """Send only what differs from getSettings: every setSettings restarts the instance."""
    found = instance_settings.changes(client.get_settings(), needed)
    where = f"instance {instance.name} ({instance.api_url})"
    if not found:
        print(f"Nothing to change on {where}: every setting matches (no restart).")
        return Exit.OK
    answer = client.set_settings(instance_settings.as_payload(found))
    if answer.get("saveSettings") is not True:
        print(f"configure-instance: GREEN-API did not save the settings: {answer}", file=sys.stderr)
        return Exit.FAILED
    print(f"Changed on {where}:")
    for change in found:
        print(f"  {change.describe()}")
    print("GREEN-API applies settings within about 5 minutes and restarts the instance.")
    print("Verify later with: python -m call_logger configure-instance --check --webhook-url URL")
    return Exit.OK


def _check_settings(client: GreenApiClient, config: Config, needed: dict[str, str]) -> int:
    if config.replies_configured or config.operator_chat_id:
        _check_can_send(client)
    actual = client.get_settings()
    differing = {change.name for change in instance_settings.changes(actual, needed)}
    unused = dict(instance_settings.unused(actual, needed))
    mismatches = 0
    for name in [*needed, *(name for name in unused if name not in needed)]:
        value = actual.get(name)
        verdict = "UNUSED" if name in unused else "MISMATCH" if name in differing else "ok"
        mismatches += verdict == "MISMATCH"
        shown = "(not set)" if value is None else repr(value)
        print(f"{name:<26} {verdict:<8} actual: {shown}")
    for name, cost in unused.items():
        # A warning, not a failure: calls are recorded; each of these is paid for.
        print(
            f"configure-instance --check: {name} is on but unused: {cost}. "
            + (
                "configure-instance switches it off."
                if name in needed
                else "Switch it off in the GREEN-API console."
            ),
            file=sys.stderr,
        )
    if mismatches:
        print("configure-instance --check: the instance does not match", file=sys.stderr)
        return Exit.FAILED
    return Exit.OK


def _check_can_send(client: GreenApiClient) -> None:
    """A warning (not a failure: calls are still recorded) when the function is set to send
    messages but the instance cannot send them now."""
    state = client.get_state_instance()
    verdict = "ok" if state == "authorized" else "WARNING"
    print(f"{'stateInstance':<20} {verdict:<8} actual: {state!r}")
    if state != "authorized":
        print(
            f"configure-instance --check: warning: automatic replies or operator notices are "
            f"configured, but the instance is {state!r}, not 'authorized': nothing can be sent "
            "until the phone is linked again (scan the QR code in the GREEN-API console)",
            file=sys.stderr,
        )
