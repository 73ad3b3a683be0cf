"""`configure-instance`: point GREEN-API instances at the deployed function (setSettings), or
compare (--check)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from call_logger.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_instance,
    fail,
    load_config,
    missing_green_api,
    pick_instances,
)
from call_logger.settings.config import Config

if TYPE_CHECKING:
    from call_logger.green_api import GreenApiClient
    from call_logger.settings.instances import Instance


# What the instance needs so that calls reach the webhook (besides its URL and token): incoming
# calls, and outgoing calls for call-back tracking.
REQUIRED_FLAGS = {
    "incomingCallWebhook": "yes",
    "incomingWebhook": "yes",
    "outgoingCallWebhook": "yes",
}
# With CALLBACK_BY_MESSAGE: messages sent from the phone, and through the API.
CALLBACK_MESSAGE_FLAGS = {"outgoingWebhook": "yes", "outgoingMessageWebhook": "yes"}


def required_flags(config: Config) -> dict[str, str]:
    return REQUIRED_FLAGS | (CALLBACK_MESSAGE_FLAGS if config.callback_by_message else {})


NAME = "configure-instance"
HELP = "point the GREEN-API instance's webhook at the function (setSettings)"
DESCRIPTION = (
    "Set webhookUrl, webhookUrlToken, incomingCallWebhook, incomingWebhook and "
    "outgoingCallWebhook (and with CALLBACK_BY_MESSAGE, the default, outgoingWebhook and "
    "outgoingMessageWebhook) to yes on the instance named by GREEN_API_URL, "
    "GREEN_API_ID_INSTANCE and GREEN_API_TOKEN, or on instances of GREEN_API_INSTANCES "
    "(--all, or --instance ID). "
    "GREEN-API applies settings within about 5 minutes and restarts the instance."
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
        "--check", action="store_true", help="change nothing; compare getSettings with the URL"
    )


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    config = load_config("configure-instance", env)
    webhook_url = args.webhook_url.strip()
    missing = missing_green_api(config) + ([] if webhook_url else ["--webhook-url"])
    if missing:
        return fail("configure-instance", f"missing {', '.join(missing)}", EXIT_USAGE)
    parts = urlsplit(webhook_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return fail(
            "configure-instance",
            f"--webhook-url must be an http(s) URL, not {webhook_url!r}",
            EXIT_USAGE,
        )
    try:
        targets = pick_instances(config, args.all, args.instance)
    except ValueError as error:
        return fail("configure-instance", str(error), EXIT_USAGE)
    # Each instance its own webhookUrlToken where the map gives one, else the deployment's.
    fallback = args.webhook_token or config.webhook_token
    tokenless = [str(instance.id) for instance in targets if not instance.webhook_token]
    if not args.check and tokenless and not fallback:
        return fail(
            "configure-instance",
            f"missing WEBHOOK_TOKEN (or --webhook-token, or a webhookUrlToken of instance "
            f"{', '.join(tokenless[:5])}): the function requires it",
            EXIT_USAGE,
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
                if args.check:
                    code = _check_settings(client, settings, webhook_url)
                else:
                    token = instance.webhook_token or fallback
                    code = _set_settings(client, instance, settings, webhook_url, token)
            except GreenApiError as error:  # its message is already token-free
                print(
                    f"configure-instance: instance {instance.name}: GREEN-API call failed: {error}",
                    file=sys.stderr,
                )
                code = EXIT_FAILED
        failed += code != EXIT_OK
    if failed and len(targets) > 1:
        print(f"configure-instance: {failed} of {len(targets)} instances failed", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _set_settings(
    client: GreenApiClient,
    instance: Instance,
    config: Config,
    webhook_url: str,
    webhook_token: str,
) -> int:
    settings = {
        "webhookUrl": webhook_url,
        "webhookUrlToken": webhook_token,
        **required_flags(config),
    }
    answer = client.set_settings(settings)
    if answer.get("saveSettings") is not True:
        print(f"configure-instance: GREEN-API did not save the settings: {answer}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Set on instance {instance.name} ({instance.api_url}):")
    shown = {**settings, "webhookUrlToken": mask(webhook_token)}
    for name, value in shown.items():
        print(f"  {name:<20} {value}")
    print("GREEN-API applies settings within about 5 minutes and restarts the instance.")
    print("Verify later with: python -m call_logger configure-instance --check --webhook-url URL")
    return EXIT_OK


def _check_settings(client: GreenApiClient, config: Config, webhook_url: str) -> int:
    if config.replies_configured or config.operator_chat_id:
        _check_can_send(client)
    actual = client.get_settings()
    expected = {"webhookUrl": webhook_url, **required_flags(config)}
    mismatches = 0
    for name, wanted in expected.items():
        value = actual.get(name)
        verdict = "ok" if value == wanted else "MISMATCH"
        mismatches += verdict != "ok"
        shown = "(not set)" if value is None else repr(value)
        print(f"{name:<20} {verdict:<8} actual: {shown}")
    if mismatches:
        print("configure-instance --check: the instance does not match", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


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


def mask(secret: str) -> str:
    """First 2 characters and ***; nothing of a short secret."""
    return f"{secret[:2]}***" if len(secret) >= 8 else "***"
