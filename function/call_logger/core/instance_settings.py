"""The GREEN-API instance settings the function needs, and what `configure-instance` changes to
reach them: pure decisions, no I/O.

Every switch that is on sends its notifications to the webhook, and each one is a paid function
invocation; so only the switches whose notifications the function reads are on. setSettings
restarts the instance (calls are missed meanwhile), so only the settings that differ from
getSettings are sent, and nothing when all match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

YES, NO = "yes", "no"
WEBHOOK_URL, WEBHOOK_TOKEN = "webhookUrl", "webhookUrlToken"
INCOMING_MESSAGES = "incomingWebhook"
# Calls (incoming; outgoing for call-back tracking) and the instance's state: always read.
USED_SWITCHES = ("incomingCallWebhook", "outgoingCallWebhook", "stateWebhook")
# Messages sent from the phone and through the API: read only with CALLBACK_BY_MESSAGE.
MESSAGE_SWITCHES = ("outgoingMessageWebhook", "outgoingAPIMessageWebhook")
# The delivery statuses of outgoing messages: never read.
DELIVERY_STATUSES = "outgoingWebhook"

# What a switch costs when it is on and the function does not read its notifications.
COSTS: Mapping[str, str] = {
    INCOMING_MESSAGES: (
        "every incoming chat message is POSTed to the function, one paid invocation each, and "
        "none records a call (since GREEN-API release 5.44.37.12 incoming calls arrive without "
        "it; an older instance needs it: --keep-incoming-webhook)"
    ),
    DELIVERY_STATUSES: (
        "the sent, delivered and read statuses of every outgoing message, up to three paid "
        "invocations per message, never read"
    ),
    "outgoingMessageWebhook": (
        "every message sent from the phone, one paid invocation each, read only with "
        "CALLBACK_BY_MESSAGE"
    ),
    "outgoingAPIMessageWebhook": (
        "every message sent through the API, one paid invocation each, read only with "
        "CALLBACK_BY_MESSAGE"
    ),
    "pollMessageWebhook": "every poll and poll answer, one paid invocation each, never read",
    "editedMessageWebhook": "every edited message, one paid invocation each, never read",
    "deletedMessageWebhook": "every deleted message, one paid invocation each, never read",
    "incomingBlockWebhook": "every chat blocked (deprecated), one paid invocation each",
    "deviceWebhook": "the phone's battery and device status (deprecated), never read",
    "statusInstanceWebhook": "the instance's socket status (deprecated), never read",
}


@dataclass(frozen=True)
class Change:
    """One setting configure-instance sends: its value before (None: not reported) and after."""

    name: str
    before: Any
    after: str

    def describe(self) -> str:
        """`name: before -> after`, a token masked on both sides."""
        return f"{self.name}: {_shown(self.name, self.before)} -> {_shown(self.name, self.after)}"


def wanted(
    webhook_url: str,
    webhook_token: str | None,
    *,
    callback_by_message: bool,
    keep_incoming_webhook: bool,
) -> dict[str, str]:
    """Every setting the instance needs (the token only when it is known)."""
    message = YES if callback_by_message else NO
    return {
        WEBHOOK_URL: webhook_url,
        **({WEBHOOK_TOKEN: webhook_token} if webhook_token is not None else {}),
        **dict.fromkeys(USED_SWITCHES, YES),
        **dict.fromkeys(MESSAGE_SWITCHES, message),
        DELIVERY_STATUSES: NO,
        INCOMING_MESSAGES: YES if keep_incoming_webhook else NO,
    }


def changes(actual: Mapping[str, Any], needed: Mapping[str, str]) -> list[Change]:
    """The settings whose value differs from getSettings' answer, in `needed`'s order. A switch
    getSettings does not report is off: leaving it off is no change (no restart for nothing)."""
    return [
        Change(name, actual.get(name), value)
        for name, value in needed.items()
        if actual.get(name, NO if value == NO else None) != value
    ]


def as_payload(found: list[Change]) -> dict[str, str]:
    """The setSettings body of these changes."""
    return {change.name: change.after for change in found}


def unused(actual: Mapping[str, Any], needed: Mapping[str, str]) -> list[tuple[str, str]]:
    """The switches that are on although the function does not read them, with their cost."""
    return [
        (name, cost)
        for name, cost in COSTS.items()
        if actual.get(name) == YES and needed.get(name) != YES
    ]


def mask(secret: str) -> str:
    """First 2 characters and ***; nothing of a short secret."""
    return f"{secret[:2]}***" if len(secret) >= 8 else "***"


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "(not set)"
    if name == WEBHOOK_TOKEN:
        return mask(str(value)) if value else "''"
    return repr(value)
