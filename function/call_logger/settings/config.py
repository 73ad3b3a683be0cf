"""Configuration, read once from the environment.

The variable names are a contract shared with docs/configuration.md, Terraform and the tests.
This module imports nothing heavy: it is loaded on the ignored-notification hot path.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, time, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from call_logger.settings import instances as instance_map
from call_logger.settings.instances import InstanceError, Instances
from call_logger.settings.limits import SEND_MESSAGE_MAX_CHARS, canonical_status, is_personal_chat

if TYPE_CHECKING:
    from call_logger.settings.events import Receiver
    from call_logger.settings.hours import BusinessHours


class ConfigError(ValueError):
    """A setting has a value the function cannot run with."""


class Mode(StrEnum):
    """CALL_MODE: which incomingCall statuses become records."""

    ALL = "all"
    RESULTS = "results"
    OFFER = "offer"
    IGNORE = "ignore"


# CALL_LABELS keys and their default texts. "unknown" is the neutral label for a status
# GREEN-API may add later: such calls are stored verbatim, never dropped.
DEFAULT_LABELS: Mapping[str, str] = {
    "incoming": "Incoming call",
    "answered": "Answered call",
    "dropped": "Dropped call",
    "missed": "Missed call",
    "unknown": "Call",
    "outgoing": "Outgoing call",
    "outgoing_unanswered": "Unanswered outgoing call",
}

DEFAULT_GREEN_API_URL = "https://api.green-api.com"
DEFAULT_WEBHOOK_BACKLOG_ALERT = 100
DEFAULT_OPERATOR_TEMPLATE = "{label} from {name} {phone}"
# The placeholders a message template may use (replies.render fills them in).
PLACEHOLDERS = ("name", "phone", "chat_id", "label")
# A template leaves sendMessage's limit room for what is filled in (a name, a phone, a label).
MAX_TEMPLATE_CHARS = SEND_MESSAGE_MAX_CHARS - 1_000

# The incomingCall statuses GREEN-API documents, canonical (hangUp is read as hungUp).
STATUSES = ("offer", "pickUp", "hungUp", "missed", "declined")

# MISSED_CALL_REPLY_MAX_PER_HOUR and OPERATOR_NOTIFY_MAX_PER_HOUR unset: per instance, in any
# rolling hour.
DEFAULT_REPLY_MAX_PER_HOUR = 30
DEFAULT_NOTIFY_MAX_PER_HOUR = 60

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_CHAT_IDS = ("masked", "full")

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


@dataclass(frozen=True)
class Config:
    # Secrets stay out of repr(), and so out of any log line or traceback that shows a Config.
    webhook_token: str = field(default="", repr=False)
    allow_unauthenticated: bool = False
    mode: Mode = Mode.ALL
    instance_id: int | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LABELS))
    retention_days: int | None = None
    store: str = "firestore"
    project: str | None = None
    database: str = "(default)"
    store_timeout: float = 10.0
    dynamodb_table: str = "green-call-logger"
    green_api_url: str = DEFAULT_GREEN_API_URL
    green_api_token: str = field(default="", repr=False)
    contact_cache_ttl: timedelta = timedelta(hours=24)
    lookup_budget: float = 3.0
    operator_chat_id: str = ""
    operator_template: str = DEFAULT_OPERATOR_TEMPLATE
    operator_notify_on: frozenset[str] = frozenset({"offer"})
    # The reply to a caller: in business hours (or always, without BUSINESS_HOURS) and outside.
    reply_template: str = ""
    after_hours_template: str = ""
    reply_on: frozenset[str] = frozenset({"missed", "declined", "hungUp"})
    reply_cooldown: timedelta = timedelta(hours=12)
    reply_max_age: timedelta = timedelta(minutes=15)
    business_hours: BusinessHours | None = None
    # Per instance, in any rolling hour (send_caps): automatic replies and operator notices.
    reply_max_per_hour: int = DEFAULT_REPLY_MAX_PER_HOUR
    notify_max_per_hour: int = DEFAULT_NOTIFY_MAX_PER_HOUR
    reconcile_match_window: timedelta = timedelta(seconds=120)
    reconcile_max_call: timedelta = timedelta(hours=4)
    timezone: tzinfo = UTC
    callback_by_message: bool = True
    callback_target: timedelta = timedelta(hours=1)  # the call-back SLA of the report and digest
    # configure-instance leaves incomingWebhook on (instances before GREEN-API 5.44.37.12).
    keep_incoming_webhook: bool = False
    # A webhook queue longer than this (getWebhooksCount) is a WARNING and an alert.
    webhook_backlog_alert: int = DEFAULT_WEBHOOK_BACKLOG_ALERT
    digest_time: time | None = None
    # EVENTS_URL and EVENTS_SECRET: where this instance's events are POSTed (None: no events).
    events: Receiver | None = None
    log_level: str = "INFO"
    log_chat_ids: str = "masked"
    # Where the scheduled run puts one task per instance (task_queues): a Cloud Tasks queue, the
    # URL its tasks call and the account whose OIDC token they carry; or an SQS queue's URL.
    # None set: the tasks run in the scheduled run itself.
    reconcile_tasks_queue: str = ""
    reconcile_tasks_url: str = ""
    reconcile_tasks_service_account: str = ""
    cloud_tasks_api: str = "https://cloudtasks.googleapis.com"
    reconcile_sqs_queue_url: str = ""
    # The instances served (GREEN_API_INSTANCES, or the single-instance settings as a map of one).
    instances: Instances = field(default_factory=Instances, repr=False)
    # idInstance -> the Config fields that instance's own settings set (only instances that have
    # some), checked at start; settings_for() applies them on first use.
    per_instance: Mapping[int, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )
    # settings_for()'s configurations, made once each: building 500 at start would cost a cold
    # start more than the rest of it (bench: cold_start_ratio_500_instances).
    _settings_made: dict[int, Config] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.instances and self.instance_id is not None:
            # The single-instance settings are a map of one, however the Config was made.
            single = instance_map.single(self.instance_id, self.green_api_url, self.green_api_token)
            object.__setattr__(self, "instances", single)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Build the configuration; a bad value raises ConfigError naming what is allowed."""
        env = dict(env)  # os.environ decodes on every read
        config = cls._from_settings(env)
        instances = _instances(env)
        if instances is None:
            return config
        per_instance = {}
        for instance in instances:
            if instance.settings:
                try:
                    per_instance[instance.id] = _instance_fields(env, instance.settings)
                except ConfigError as error:
                    names = ", ".join(
                        key
                        for key, name in instance_map.SETTINGS.items()
                        if name in instance.settings
                    )
                    raise ConfigError(
                        f"{instance_map.VARIABLE}[{instance.id}] ({names}): {error}"
                    ) from None
        return replace(config, instances=instances, per_instance=MappingProxyType(per_instance))

    def settings_for(self, instance_id: int) -> Config:
        """The configuration that applies to a call of this instance: the deployment's, with
        the instance's own settings (GREEN_API_INSTANCES) in place of the deployment-wide ones."""
        fields = self.per_instance.get(instance_id)
        if not fields:
            return self
        made = self._settings_made.get(instance_id)
        if made is None:  # two threads may both make it: the same value, no harm
            made = replace(self, **fields, instances=Instances(), per_instance=MappingProxyType({}))
            self._settings_made[instance_id] = made
        return made

    def for_instance(self, instance_id: int) -> Config:
        """One instance of the map as a deployment of one: its settings, and it the only
        instance (its id, URL and token), so that a flow made for one instance (a command that
        acts on each instance in turn) runs unchanged. KeyError for an instance not in the map."""
        instance = self.instances.by_id[instance_id]
        return replace(
            self.settings_for(instance_id),
            instance_id=instance.id,
            green_api_url=instance.api_url,
            green_api_token=instance.token,
            instances=Instances(),  # __post_init__ makes the map of one
            per_instance=MappingProxyType({}),
        )

    @classmethod
    def _from_settings(cls, env: Mapping[str, str]) -> Config:
        # An empty or unset variable leaves the field's default above: each default is written
        # once, there (docs/configuration.md's table is checked against it).
        def get(name: str) -> str:
            return env.get(name, "").strip()

        return cls(
            # Stripped: a secret file's trailing newline must not become part of the token.
            webhook_token=get("WEBHOOK_TOKEN"),
            allow_unauthenticated=_flag(
                get("ALLOW_UNAUTHENTICATED"), "ALLOW_UNAUTHENTICATED", cls.allow_unauthenticated
            ),
            mode=_mode(get("CALL_MODE"), cls.mode),
            instance_id=_optional_int(get("GREEN_API_ID_INSTANCE"), "GREEN_API_ID_INSTANCE", 1),
            labels=_labels(get("CALL_LABELS")),
            retention_days=_optional_int(
                get("RECORD_RETENTION_DAYS"), "RECORD_RETENTION_DAYS", 1, MAX_DAYS
            ),
            store=_choice(get("STORE") or cls.store, "STORE", ("firestore", "dynamodb")),
            project=get("GOOGLE_CLOUD_PROJECT") or get("GCLOUD_PROJECT") or None,
            database=get("FIRESTORE_DATABASE") or cls.database,
            store_timeout=_seconds(get("STORE_TIMEOUT"), "STORE_TIMEOUT", cls.store_timeout),
            dynamodb_table=get("DYNAMODB_TABLE") or cls.dynamodb_table,
            green_api_url=_green_api_url(get("GREEN_API_URL") or cls.green_api_url),
            green_api_token=get("GREEN_API_TOKEN"),
            contact_cache_ttl=_duration(
                get("CONTACT_CACHE_TTL"), "CONTACT_CACHE_TTL", cls.contact_cache_ttl
            ),
            lookup_budget=_seconds(
                get("CONTACT_LOOKUP_BUDGET"), "CONTACT_LOOKUP_BUDGET", cls.lookup_budget
            ),
            operator_template=_template(
                get("OPERATOR_MESSAGE_TEMPLATE") or cls.operator_template,
                "OPERATOR_MESSAGE_TEMPLATE",
            ),
            operator_notify_on=_statuses(
                get("OPERATOR_NOTIFY_ON"), "OPERATOR_NOTIFY_ON", cls.operator_notify_on
            ),
            reply_on=_statuses(get("MISSED_CALL_REPLY_ON"), "MISSED_CALL_REPLY_ON", cls.reply_on),
            reply_cooldown=_duration(
                get("MISSED_CALL_REPLY_COOLDOWN"), "MISSED_CALL_REPLY_COOLDOWN", cls.reply_cooldown
            ),
            reply_max_age=_positive_duration(
                get("MISSED_CALL_REPLY_MAX_AGE"), "MISSED_CALL_REPLY_MAX_AGE", cls.reply_max_age
            ),
            reconcile_match_window=_duration(
                get("RECONCILE_MATCH_WINDOW"), "RECONCILE_MATCH_WINDOW", cls.reconcile_match_window
            ),
            callback_by_message=_flag(
                get("CALLBACK_BY_MESSAGE"), "CALLBACK_BY_MESSAGE", cls.callback_by_message
            ),
            reconcile_max_call=_positive_duration(
                get("RECONCILE_MAX_CALL"), "RECONCILE_MAX_CALL", cls.reconcile_max_call
            ),
            keep_incoming_webhook=_flag(
                get("KEEP_INCOMING_WEBHOOK"), "KEEP_INCOMING_WEBHOOK", cls.keep_incoming_webhook
            ),
            digest_time=_digest_time(
                # Somewhere to send it: the deployment's chat, or the instances' own chats.
                get("DIGEST_TIME"),
                get("OPERATOR_CHAT_ID") or get("GREEN_API_INSTANCES"),
            ),
            log_level=_choice(get("LOG_LEVEL").upper() or cls.log_level, "LOG_LEVEL", LOG_LEVELS),
            log_chat_ids=_choice(
                get("LOG_CHAT_IDS") or cls.log_chat_ids, "LOG_CHAT_IDS", LOG_CHAT_IDS
            ),
            **_task_queue(get),
            **{name: read(get) for name, _, read in _INSTANCE_FIELDS},
        )

    @property
    def instance_map(self) -> bool:
        """Whether GREEN_API_INSTANCES names the instances (a map of one too): each instance is
        then a deployment of its own for digests, whatever their number."""
        return self.instance_id is None and len(self.instances) > 0

    @property
    def auth_configured(self) -> bool:
        """Whether some request can be authenticated: WEBHOOK_TOKEN, or an instance's own
        webhookUrlToken."""
        return bool(self.webhook_token) or self.instances.own_webhook_tokens

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every token the configuration holds (kept out of log lines): the deployment's and
        each instance's own."""
        own = (
            token
            for instance in self.instances
            for token in (instance.token, instance.webhook_token)
            if token
        )
        return tuple(dict.fromkeys((self.webhook_token, self.green_api_token, *own)))

    @property
    def replies_configured(self) -> bool:
        """Whether some call can get an automatic reply (MISSED_CALL_REPLY or its after-hours
        text is set)."""
        return bool(self.reply_template or self.after_hours_template)


# The Config fields an instance of GREEN_API_INSTANCES may set for itself: each field, the
# variables it is read from, and how (`get` reads a variable, the instance's own value first).
_INSTANCE_FIELDS: tuple[tuple[str, tuple[str, ...], Callable[[Callable[[str], str]], Any]], ...] = (
    (
        "operator_chat_id",
        ("OPERATOR_CHAT_ID",),
        lambda get: _operator_chat(get("OPERATOR_CHAT_ID")),
    ),
    (
        "reply_template",
        ("MISSED_CALL_REPLY",),
        lambda get: _template(get("MISSED_CALL_REPLY"), "MISSED_CALL_REPLY"),
    ),
    (
        "after_hours_template",
        ("MISSED_CALL_REPLY_AFTER_HOURS", "BUSINESS_HOURS"),
        lambda get: _after_hours(get("MISSED_CALL_REPLY_AFTER_HOURS"), bool(get("BUSINESS_HOURS"))),
    ),
    ("business_hours", ("BUSINESS_HOURS",), lambda get: _business_hours(get("BUSINESS_HOURS"))),
    ("timezone", ("TIMEZONE",), lambda get: _timezone(get("TIMEZONE"))),
    (
        "reply_max_per_hour",
        ("MISSED_CALL_REPLY_MAX_PER_HOUR",),
        lambda get: _per_hour(
            get("MISSED_CALL_REPLY_MAX_PER_HOUR"),
            "MISSED_CALL_REPLY_MAX_PER_HOUR",
            DEFAULT_REPLY_MAX_PER_HOUR,
        ),
    ),
    (
        "notify_max_per_hour",
        ("OPERATOR_NOTIFY_MAX_PER_HOUR",),
        lambda get: _per_hour(
            get("OPERATOR_NOTIFY_MAX_PER_HOUR"),
            "OPERATOR_NOTIFY_MAX_PER_HOUR",
            DEFAULT_NOTIFY_MAX_PER_HOUR,
        ),
    ),
    (
        "callback_target",
        ("CALLBACK_TARGET",),
        lambda get: _positive_duration(
            get("CALLBACK_TARGET"), "CALLBACK_TARGET", Config.callback_target
        ),
    ),
    (
        "webhook_backlog_alert",
        ("WEBHOOK_BACKLOG_ALERT",),
        lambda get: _backlog_alert(get("WEBHOOK_BACKLOG_ALERT")),
    ),
    (
        "events",
        ("EVENTS_URL", "EVENTS_SECRET"),
        lambda get: _events(get("EVENTS_URL"), get("EVENTS_SECRET")),
    ),
)

# The send log (send_caps) keeps one time per send of the hour in one document: a DynamoDB item
# holds at most 400 KB, and a cap of more than a thousand an hour is none for a person's number.
MAX_PER_HOUR = 1_000


def _per_hour(value: str, name: str, default: int) -> int:
    number = _optional_int(value, name, 1)
    if number is None:
        return default
    if number > MAX_PER_HOUR:
        raise ConfigError(f"{name} must be at most {MAX_PER_HOUR}, not {number}")
    return number


def _instance_fields(env: Mapping[str, str], settings: Mapping[str, str]) -> dict[str, Any]:
    """The Config fields an instance's own settings change, checked by the rules of the variables
    they stand for; fields its settings do not touch are not read again."""

    def get(name: str) -> str:
        return settings.get(name, env.get(name, "")).strip()

    return {
        name: read(get)
        for name, variables, read in _INSTANCE_FIELDS
        if any(variable in settings for variable in variables)
    }


def _instances(env: Mapping[str, str]) -> Instances | None:
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


def _task_queue(get: Callable[[str], str]) -> dict[str, Any]:
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


def _timezone(value: str) -> tzinfo:
    """TIMEZONE: the report's days and hours and the digest's day are counted in it."""
    if not value:
        return Config.timezone
    if value == "UTC":
        return UTC  # needs no time-zone database
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: e.g. a folder, "Europe"
        raise ConfigError(
            f"TIMEZONE must be an IANA time zone name such as Europe/Berlin or UTC; got {value!r}"
        ) from None


def _digest_time(value: str, operator_chat_id: str) -> time | None:
    digest_time = _clock_time(value, "DIGEST_TIME")
    if digest_time is not None and not operator_chat_id:
        raise ConfigError(
            "DIGEST_TIME needs OPERATOR_CHAT_ID (or GREEN_API_INSTANCES with operatorChatId):"
            " the chat the digest is sent to"
        )
    return digest_time


def _clock_time(value: str, name: str) -> time | None:
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


def _backlog_alert(value: str) -> int:
    found = _optional_int(value, "WEBHOOK_BACKLOG_ALERT", 0)
    return DEFAULT_WEBHOOK_BACKLOG_ALERT if found is None else found


def _flag(value: str, name: str, default: bool) -> bool:
    lowered = value.lower()
    if not lowered:
        return default
    if lowered in ("false", "0", "no"):
        return False
    if lowered in ("true", "1", "yes"):
        return True
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _mode(value: str, default: Mode) -> Mode:
    allowed = tuple(mode.value for mode in Mode)
    return Mode(_choice(value or default.value, "CALL_MODE", allowed))


def _optional_int(value: str, name: str, minimum: int, maximum: int | None = None) -> int | None:
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


def _seconds(value: str, name: str, default: float) -> float:
    return _positive_duration(value, name, timedelta(seconds=default)).total_seconds()


def _duration(value: str, name: str, default: timedelta) -> timedelta:
    if not value:
        return default
    try:
        return parse_duration(value)
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None


def _labels(value: str) -> Mapping[str, str]:
    labels = dict(DEFAULT_LABELS)
    if not value:
        return labels
    allowed = ", ".join(DEFAULT_LABELS)
    try:
        overrides = json.loads(value)
    except ValueError:
        raise ConfigError(f"CALL_LABELS must be a JSON object with keys among {allowed}") from None
    if not isinstance(overrides, dict):
        raise ConfigError(f"CALL_LABELS must be a JSON object with keys among {allowed}")
    for key, text in overrides.items():
        if key not in DEFAULT_LABELS:
            raise ConfigError(f"CALL_LABELS has unknown key {key!r}; allowed keys: {allowed}")
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"CALL_LABELS[{key!r}] must be a non-empty string")
        labels[key] = text
    return labels


def _https_or_loopback(value: str) -> bool:
    """An https:// URL, or plain http to this machine only (a local test server)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    loopback = instance_map.LOOPBACK_HOSTS
    return bool(host) and (parts.scheme == "https" or (parts.scheme == "http" and host in loopback))


def _green_api_url(value: str) -> str:
    if _https_or_loopback(value):
        return value.rstrip("/")
    raise ConfigError(
        f"GREEN_API_URL must be an https:// URL (the API token travels in it), not {value!r}"
    )


def _template(value: str, name: str) -> str:
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


def _operator_chat(value: str) -> str:
    if value and not is_personal_chat(value):
        raise ConfigError(
            "OPERATOR_CHAT_ID must be a person's chat such as 79001234567@c.us (or an @lid id); "
            f"messages are never sent to a group; got {value!r}"
        )
    return value


def _after_hours(value: str, business_hours_set: bool) -> str:
    if value and not business_hours_set:
        raise ConfigError(
            "MISSED_CALL_REPLY_AFTER_HOURS needs BUSINESS_HOURS (it is sent outside those hours)"
        )
    return _template(value, "MISSED_CALL_REPLY_AFTER_HOURS")


def _statuses(value: str, name: str, default: frozenset[str]) -> frozenset[str]:
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


def _positive_duration(value: str, name: str, default: timedelta) -> timedelta:
    duration = _duration(value, name, default)
    if duration <= timedelta(0):
        raise ConfigError(f"{name} must be more than zero")
    return duration


def _business_hours(value: str) -> BusinessHours | None:
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


def _events(url: str, secret: str) -> Receiver | None:
    """EVENTS_URL and EVENTS_SECRET. The secret is checked wherever it is set, but only the
    delivery needs it (it signs): the functions that write events never hold the key, and the
    delivery refuses an instance without one (flows/events.deliver)."""
    if not url:
        return None
    if not _https_or_loopback(url):
        raise ConfigError("EVENTS_URL must be an https:// URL (http only to this machine)")
    from call_logger.settings.events import Receiver, secret_problem  # only when set

    problem = secret_problem(secret) if secret else None
    if problem is not None:
        raise ConfigError(f"EVENTS_SECRET {problem}")
    return Receiver(url, secret)
