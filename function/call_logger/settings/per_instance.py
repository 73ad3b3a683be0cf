"""The settings an instance of GREEN_API_INSTANCES may set for itself: which Config field each
is, the variables it is read from, and how; and the map itself, read from the environment.

Loaded with the configuration on the ignored-notification hot path: it imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from call_logger.settings import instances as instance_map
from call_logger.settings import parse
from call_logger.settings.instances import InstanceError, Instances
from call_logger.settings.parse import ConfigError

if TYPE_CHECKING:
    from call_logger.settings.events import Receiver
    from call_logger.settings.hours import BusinessHours

# The send log (send_caps) keeps one time per send of the hour in one document: a DynamoDB item
# holds at most 400 KB, and a cap of more than a thousand an hour is none for a person's number.
MAX_PER_HOUR = 1_000

# A field's reader: `get` reads a variable (the instance's own value first), `default` is the
# Config field's default, for a variable left empty.
Reader = Callable[[Callable[[str], str], Any], Any]


def _per_hour_field(name: str, variable: str) -> tuple[str, tuple[str, ...], Reader]:
    return (name, (variable,), lambda get, default: per_hour(get(variable), variable, default))


# The Config fields an instance may set for itself, each with the variables it is read from.
INSTANCE_FIELDS: tuple[tuple[str, tuple[str, ...], Reader], ...] = (
    (
        "operator_chat_id",
        ("OPERATOR_CHAT_ID",),
        lambda get, _: parse.operator_chat(get("OPERATOR_CHAT_ID")),
    ),
    (
        "reply_template",
        ("MISSED_CALL_REPLY",),
        lambda get, _: parse.template(get("MISSED_CALL_REPLY"), "MISSED_CALL_REPLY"),
    ),
    (
        "after_hours_template",
        ("MISSED_CALL_REPLY_AFTER_HOURS", "BUSINESS_HOURS"),
        lambda get, _: after_hours(
            get("MISSED_CALL_REPLY_AFTER_HOURS"), bool(get("BUSINESS_HOURS"))
        ),
    ),
    ("business_hours", ("BUSINESS_HOURS",), lambda get, _: business_hours(get("BUSINESS_HOURS"))),
    ("timezone", ("TIMEZONE",), lambda get, default: parse.timezone(get("TIMEZONE"), default)),
    _per_hour_field("reply_max_per_hour", "MISSED_CALL_REPLY_MAX_PER_HOUR"),
    _per_hour_field("notify_max_per_hour", "OPERATOR_NOTIFY_MAX_PER_HOUR"),
    (
        "callback_target",
        ("CALLBACK_TARGET",),
        lambda get, default: parse.positive_duration(
            get("CALLBACK_TARGET"), "CALLBACK_TARGET", default
        ),
    ),
    (
        "webhook_backlog_alert",
        ("WEBHOOK_BACKLOG_ALERT",),
        lambda get, default: backlog_alert(get("WEBHOOK_BACKLOG_ALERT"), default),
    ),
    (
        "events",
        ("EVENTS_URL", "EVENTS_SECRET"),
        lambda get, _: events(get("EVENTS_URL"), get("EVENTS_SECRET")),
    ),
)


def read_fields(get: Callable[[str], str], defaults: object) -> dict[str, Any]:
    """Every field of INSTANCE_FIELDS, read with `get`; `defaults` holds each field's default
    (the Config class)."""
    return {name: read(get, getattr(defaults, name)) for name, _, read in INSTANCE_FIELDS}


def instance_fields(
    env: Mapping[str, str], settings: Mapping[str, str], defaults: object
) -> dict[str, Any]:
    """The Config fields an instance's own settings change, checked by the rules of the variables
    they stand for; fields its settings do not touch are not read again."""

    def get(name: str) -> str:
        return settings.get(name, env.get(name, "")).strip()

    return {
        name: read(get, getattr(defaults, name))
        for name, variables, read in INSTANCE_FIELDS
        if any(variable in settings for variable in variables)
    }


def instances(env: Mapping[str, str]) -> Instances | None:
    """The map of GREEN_API_INSTANCES; None when it is not set."""
    text = env.get("GREEN_API_INSTANCES", "").strip()
    if not text:
        return None
    single = [
        name
        for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_URL", "GREEN_API_TOKEN")
        if env.get(name, "").strip()
    ]
    if single:
        raise ConfigError(
            f"{instance_map.VARIABLE} is set, and so is {', '.join(single)}: name the instances "
            f"in {instance_map.VARIABLE} alone (each with its apiUrl and apiTokenInstance), or "
            "one instance with GREEN_API_ID_INSTANCE, GREEN_API_URL and GREEN_API_TOKEN"
        )
    try:
        return instance_map.parse(text)
    except InstanceError as error:
        raise ConfigError(str(error)) from None


def per_hour(value: str, name: str, default: int) -> int:
    number = parse.optional_int(value, name, 1)
    if number is None:
        return default
    if number > MAX_PER_HOUR:
        raise ConfigError(f"{name} must be at most {MAX_PER_HOUR}, not {number}")
    return number


def backlog_alert(value: str, default: int) -> int:
    found = parse.optional_int(value, "WEBHOOK_BACKLOG_ALERT", 0)
    return default if found is None else found


def after_hours(value: str, business_hours_set: bool) -> str:
    if value and not business_hours_set:
        raise ConfigError(
            "MISSED_CALL_REPLY_AFTER_HOURS needs BUSINESS_HOURS (it is sent outside those hours)"
        )
    return parse.template(value, "MISSED_CALL_REPLY_AFTER_HOURS")


def business_hours(value: str) -> BusinessHours | None:
    if not value:
        return None
    from call_logger.settings.hours import (  # only when set: start-up stays cheap without it
        FORMAT,
        BusinessHours,
    )

    try:
        return BusinessHours.parse(value)
    except ValueError as error:
        raise ConfigError(f"BUSINESS_HOURS must be {FORMAT}; {error}") from None


def events(url: str, secret: str) -> Receiver | None:
    """EVENTS_URL and EVENTS_SECRET. The secret is checked wherever it is set, but only the
    delivery needs it (it signs): the functions that write events never hold the key, and the
    delivery refuses an instance without one (flows/events.deliver)."""
    if not url:
        return None
    if not parse.https_or_loopback(url):
        raise ConfigError("EVENTS_URL must be an https:// URL (http only to this machine)")
    from call_logger.settings.events import Receiver, secret_problem  # only when set

    problem = secret_problem(secret) if secret else None
    if problem is not None:
        raise ConfigError(f"EVENTS_SECRET {problem}")
    return Receiver(url, secret)
