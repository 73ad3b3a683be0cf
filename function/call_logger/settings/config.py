"""Configuration, read once from the environment.

The variable names are a contract shared with docs/configuration.md, Terraform and the tests.
This module imports nothing heavy: it is loaded on the ignored-notification hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, time, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from call_logger.settings import instances as instance_map
from call_logger.settings import parse, per_instance
from call_logger.settings.instances import Instances
from call_logger.settings.parse import ConfigError

if TYPE_CHECKING:
    from call_logger.settings.events import Receiver
    from call_logger.settings.hours import BusinessHours


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
# MISSED_CALL_REPLY_MAX_PER_HOUR and OPERATOR_NOTIFY_MAX_PER_HOUR unset: per instance, in any
# rolling hour.
DEFAULT_REPLY_MAX_PER_HOUR = 30
DEFAULT_NOTIFY_MAX_PER_HOUR = 60

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_CHAT_IDS = ("masked", "full")


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
        instances = per_instance.instances(env)
        if instances is None:
            return config
        own = {}
        for instance in instances:
            if instance.settings:
                try:
                    own[instance.id] = per_instance.instance_fields(env, instance.settings, cls)
                except ConfigError as error:
                    names = ", ".join(
                        key
                        for key, name in instance_map.SETTINGS.items()
                        if name in instance.settings
                    )
                    raise ConfigError(
                        f"{instance_map.VARIABLE}[{instance.id}] ({names}): {error}"
                    ) from None
        return replace(config, instances=instances, per_instance=MappingProxyType(own))

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

        def read(name: str, parser: Callable[[str, str, Any], Any], default: Any) -> Any:
            """A variable read by `parser`, which names it in its errors; empty: `default`."""
            return parser(get(name), name, default)

        return cls(
            # Stripped: a secret file's trailing newline must not become part of the token.
            webhook_token=get("WEBHOOK_TOKEN"),
            allow_unauthenticated=read(
                "ALLOW_UNAUTHENTICATED", parse.flag, cls.allow_unauthenticated
            ),
            mode=_mode(get("CALL_MODE"), cls.mode),
            instance_id=parse.optional_int(
                get("GREEN_API_ID_INSTANCE"), "GREEN_API_ID_INSTANCE", 1
            ),
            labels=parse.labels(get("CALL_LABELS"), DEFAULT_LABELS),
            retention_days=parse.optional_int(
                get("RECORD_RETENTION_DAYS"), "RECORD_RETENTION_DAYS", 1, parse.MAX_DAYS
            ),
            store=parse.choice(get("STORE") or cls.store, "STORE", ("firestore", "dynamodb")),
            project=get("GOOGLE_CLOUD_PROJECT") or get("GCLOUD_PROJECT") or None,
            database=get("FIRESTORE_DATABASE") or cls.database,
            store_timeout=read("STORE_TIMEOUT", parse.seconds, cls.store_timeout),
            dynamodb_table=get("DYNAMODB_TABLE") or cls.dynamodb_table,
            green_api_url=parse.green_api_url(get("GREEN_API_URL") or cls.green_api_url),
            green_api_token=get("GREEN_API_TOKEN"),
            contact_cache_ttl=read("CONTACT_CACHE_TTL", parse.duration, cls.contact_cache_ttl),
            lookup_budget=read("CONTACT_LOOKUP_BUDGET", parse.seconds, cls.lookup_budget),
            operator_template=parse.template(
                get("OPERATOR_MESSAGE_TEMPLATE") or cls.operator_template,
                "OPERATOR_MESSAGE_TEMPLATE",
            ),
            operator_notify_on=read("OPERATOR_NOTIFY_ON", parse.statuses, cls.operator_notify_on),
            reply_on=read("MISSED_CALL_REPLY_ON", parse.statuses, cls.reply_on),
            reply_cooldown=read("MISSED_CALL_REPLY_COOLDOWN", parse.duration, cls.reply_cooldown),
            reply_max_age=read(
                "MISSED_CALL_REPLY_MAX_AGE", parse.positive_duration, cls.reply_max_age
            ),
            reconcile_match_window=read(
                "RECONCILE_MATCH_WINDOW", parse.duration, cls.reconcile_match_window
            ),
            callback_by_message=read("CALLBACK_BY_MESSAGE", parse.flag, cls.callback_by_message),
            reconcile_max_call=read(
                "RECONCILE_MAX_CALL", parse.positive_duration, cls.reconcile_max_call
            ),
            keep_incoming_webhook=read(
                "KEEP_INCOMING_WEBHOOK", parse.flag, cls.keep_incoming_webhook
            ),
            digest_time=parse.digest_time(
                # Somewhere to send it: the deployment's chat, or the instances' own chats.
                get("DIGEST_TIME"),
                get("OPERATOR_CHAT_ID") or get("GREEN_API_INSTANCES"),
            ),
            log_level=parse.choice(
                get("LOG_LEVEL").upper() or cls.log_level, "LOG_LEVEL", LOG_LEVELS
            ),
            log_chat_ids=parse.choice(
                get("LOG_CHAT_IDS") or cls.log_chat_ids, "LOG_CHAT_IDS", LOG_CHAT_IDS
            ),
            **parse.task_queue(get),
            **per_instance.read_fields(get, cls),
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


def _mode(value: str, default: Mode) -> Mode:
    allowed = tuple(mode.value for mode in Mode)
    return Mode(parse.choice(value or default.value, "CALL_MODE", allowed))
