"""How a setting's text becomes a value: each reader checks one variable and names, in the
ConfigError it raises, what is allowed.

Loaded with the configuration on the ignored-notification hot path: it imports nothing heavy.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping
from datetime import UTC, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

from call_logger.settings import instances as instance_map
from call_logger.settings.limits import SEND_MESSAGE_MAX_CHARS, canonical_status, is_personal_chat


class ConfigError(ValueError):
    """A setting has a value the function cannot run with."""


# The placeholders a message template may use (replies.render fills them in).
PLACEHOLDERS = ("name", "phone", "chat_id", "label")
# A template leaves sendMessage's limit room for what is filled in (a name, a phone, a label).
MAX_TEMPLATE_CHARS = SEND_MESSAGE_MAX_CHARS - 1_000

# The incomingCall statuses GREEN-API documents, canonical (hangUp is read as hungUp).
STATUSES = ("offer", "pickUp", "hungUp", "missed", "declined")

# The longest duration or retention a setting may give: 100 years, well inside datetime's range.
MAX_DAYS = 36_500
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """'90' or '90s', '15m', '24h', '7d' -> timedelta, at most MAX_DAYS. Raises ValueError
    otherwise (one line for a person: a time past datetime's range would be a traceback later)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 24h or 7d")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds > MAX_DAYS * 86400:
        raise ValueError(f"{text.strip()!r} is longer than {MAX_DAYS}d (100 years)")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """timedelta -> its text in the largest whole unit (7d, 24h, 15m, 90s): parse_duration's
    inverse, for a default's text in help and messages."""
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def task_queue(get: Callable[[str], str]) -> dict[str, Any]:
    """RECONCILE_TASKS_QUEUE with the URL and account its tasks need, or RECONCILE_SQS_QUEUE_URL
    (Terraform sets them: terraform/gcp/tasks.tf, terraform/aws/queue.tf)."""
    fields: dict[str, Any] = {
        "reconcile_tasks_queue": get("RECONCILE_TASKS_QUEUE"),
        "reconcile_tasks_url": get("RECONCILE_TASKS_URL"),
        "reconcile_tasks_service_account": get("RECONCILE_TASKS_SERVICE_ACCOUNT"),
        "reconcile_sqs_queue_url": get("RECONCILE_SQS_QUEUE_URL"),
    }
    if get("CLOUD_TASKS_API"):
        fields["cloud_tasks_api"] = get("CLOUD_TASKS_API")
    if fields["reconcile_tasks_queue"] and not (
        fields["reconcile_tasks_url"] and fields["reconcile_tasks_service_account"]
    ):
        raise ConfigError(
            "RECONCILE_TASKS_QUEUE needs RECONCILE_TASKS_URL (the reconcile function's URL) and "
            "RECONCILE_TASKS_SERVICE_ACCOUNT (the identity its tasks invoke it with)"
        )
    return fields


def timezone(value: str, default: tzinfo) -> tzinfo:
    """TIMEZONE: the report's days and hours and the digest's day are counted in it."""
    if not value:
        return default
    if value == "UTC":
        return UTC  # needs no time-zone database
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. a folder, "Europe"
        raise ConfigError(
            f"TIMEZONE must be an IANA time zone name such as Europe/Berlin or UTC; got {value!r}"
        ) from None


def digest_time(value: str, operator_chat_id: str) -> time | None:
    found = clock_time(value, "DIGEST_TIME")
    if found is not None and not operator_chat_id:
        raise ConfigError(
            "DIGEST_TIME needs OPERATOR_CHAT_ID (or GREEN_API_INSTANCES with operatorChatId):"
            " the chat the digest is sent to"
        )
    return found


def clock_time(value: str, name: str) -> time | None:
    if not value:
        return None
    try:
        found = time.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name} must be a time of day such as 09:00, not {value!r}") from None
    if found.tzinfo is not None:
        raise ConfigError(
            f"{name} is a local time in TIMEZONE, such as 09:00: no offset ({value!r})"
        )
    return found


def flag(value: str, name: str, default: bool) -> bool:
    lowered = value.lower()
    if not lowered:
        return default
    if lowered in ("false", "0", "no"):
        return False
    if lowered in ("true", "1", "yes"):
        return True
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def optional_int(value: str, name: str, minimum: int, maximum: int | None = None) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value[:40]!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, not {value[:40]}")
    return number


def seconds(value: str, name: str, default: float) -> float:
    return positive_duration(value, name, timedelta(seconds=default)).total_seconds()


def duration(value: str, name: str, default: timedelta | None = None) -> timedelta:
    """`value` (a setting, or a command's option: `name` says which) as a duration; empty, the
    default if there is one."""
    if not value and default is not None:
        return default
    try:
        return parse_duration(value)
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


def positive_duration(value: str, name: str, default: timedelta | None = None) -> timedelta:
    found = duration(value, name, default)
    if found <= timedelta(0):
        raise ConfigError(f"{name} must be more than zero")
    return found


def labels(value: str, defaults: Mapping[str, str]) -> Mapping[str, str]:
    """CALL_LABELS: a JSON object that overrides some of the `defaults` texts."""
    found = dict(defaults)
    if not value:
        return found
    allowed = ", ".join(defaults)
    try:
        overrides = json.loads(value)
    except ValueError:
        raise ConfigError(f"CALL_LABELS must be a JSON object with keys among {allowed}") from None
    if not isinstance(overrides, dict):
        raise ConfigError(f"CALL_LABELS must be a JSON object with keys among {allowed}")
    for key, text in overrides.items():
        if key not in defaults:
            raise ConfigError(f"CALL_LABELS has unknown key {key!r}; allowed keys: {allowed}")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"CALL_LABELS[{key!r}] must be a non-empty string")
        found[key] = text
    return found


def https_or_loopback(value: str) -> bool:
    """An https:// URL, or plain http to this machine only (a local test server)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    loopback = instance_map.LOOPBACK_HOSTS
    return bool(host) and (parts.scheme == "https" or (parts.scheme == "http" and host in loopback))


def green_api_url(value: str) -> str:
    if https_or_loopback(value):
        return value.rstrip("/")
    raise ConfigError(
        f"GREEN_API_URL must be an https:// URL (the API token travels in it), not {value!r}"
    )


def template(value: str, name: str) -> str:
    """A message template ("" stays "": off); only PLACEHOLDERS may appear in braces."""
    placeholders = ", ".join(f"{{{key}}}" for key in PLACEHOLDERS)
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(value) if field is not None]
        # {name.x} or {name[0]} would fail (or leak attributes) at the first call, not here.
        if any(field not in PLACEHOLDERS for field in fields):
            raise ValueError(fields)
        value.format(**dict.fromkeys(PLACEHOLDERS, ""))
    except (KeyError, IndexError, ValueError):
        raise ConfigError(
            f"{name} may use only {placeholders} (write {{{{ and }}}} for a brace)"
        ) from None
    if len(value) > MAX_TEMPLATE_CHARS:
        raise ConfigError(f"{name} is longer than {MAX_TEMPLATE_CHARS} characters")
    return value


def operator_chat(value: str) -> str:
    if value and not is_personal_chat(value):
        raise ConfigError(
            "OPERATOR_CHAT_ID must be a person's chat such as 79001234567@c.us (or an @lid id); "
            f"messages are never sent to a group; got {value!r}"
        )
    return value


def statuses(value: str, name: str, default: frozenset[str]) -> frozenset[str]:
    """A comma-separated list of call statuses, hangUp read as hungUp."""
    if not value:
        return default
    chosen = {canonical_status(part.strip()) for part in value.split(",")}
    unknown = sorted(chosen - set(STATUSES))
    if unknown:
        raise ConfigError(
            f"{name} must be a comma-separated list of {', '.join(STATUSES)}; "
            f"{', '.join(map(repr, unknown))} is not one"
        )
    return frozenset(chosen)
