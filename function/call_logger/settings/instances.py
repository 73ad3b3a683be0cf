"""The GREEN-API instances one deployment serves, parsed once at start. Pure: nothing heavy.

Two ways to name them, never both (config.py refuses that at start):

- GREEN_API_INSTANCES: a JSON object keyed by idInstance, for several numbers in one deployment:

      {"1101000001": {"apiUrl": "https://7105.api.greenapi.com",
                      "apiTokenInstance": "...", "webhookUrlToken": "...",
                      "label": "Shop", "operatorChatId": "..."}}

- GREEN_API_ID_INSTANCE, GREEN_API_URL and GREEN_API_TOKEN: one instance, a map of one.

The map's keys are the allow-list: a notification of any other instance is refused. Only the
single-instance settings may leave the id unset (`restricted` is then False: any instance is
accepted, as before there was a map, and GREEN-API is never called).

Each entry may carry its own `webhookUrlToken`: the bearer token GREEN-API sends for that
instance, so that a client who reads its own instance's settings back holds a key to nothing
else. An entry without one falls back to WEBHOOK_TOKEN.

Lookups are one dict access: nothing per request grows with the map. The per-instance settings
(`operatorChatId`, ...) are kept here as the environment variables they stand for; config.py
checks them with the very rules of those variables and keeps the result per instance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

VARIABLE = "GREEN_API_INSTANCES"

# Per-instance settings: JSON key -> the deployment-wide environment variable it overrides.
SETTINGS: Mapping[str, str] = MappingProxyType(
    {
        "operatorChatId": "OPERATOR_CHAT_ID",
        "missedCallReply": "MISSED_CALL_REPLY",
        "missedCallReplyAfterHours": "MISSED_CALL_REPLY_AFTER_HOURS",
        "businessHours": "BUSINESS_HOURS",
        "timezone": "TIMEZONE",
        "missedCallReplyMaxPerHour": "MISSED_CALL_REPLY_MAX_PER_HOUR",
        "operatorNotifyMaxPerHour": "OPERATOR_NOTIFY_MAX_PER_HOUR",
        "callbackTarget": "CALLBACK_TARGET",
        "webhookBacklogAlert": "WEBHOOK_BACKLOG_ALERT",
        "eventsUrl": "EVENTS_URL",
        "eventsSecret": "EVENTS_SECRET",
    }
)
WEBHOOK_URL_TOKEN = "webhookUrlToken"
REQUIRED = ("apiUrl", "apiTokenInstance")
KEYS = (*REQUIRED, WEBHOOK_URL_TOKEN, "label", *SETTINGS)

MAX_ID = 2**63 - 1  # the range a stored idInstance (a Firestore integer) holds
MAX_LABEL_CHARS = 100
_ID = re.compile(r"^[1-9][0-9]{0,18}$")
_URL = re.compile(r"^https?://[^/\s]+(/\S*)?$")
# Plain http only to this machine (a local test server): the API token travels in the URL path.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_NOT_IN_TOKEN = re.compile(r"[\s/?#]")
# A webhook token travels in an HTTP header; the rule of Terraform's webhook_token.
MIN_WEBHOOK_TOKEN_CHARS = 24
_WEBHOOK_TOKEN = re.compile(rf"^[A-Za-z0-9._~+/=-]{{{MIN_WEBHOOK_TOKEN_CHARS},}}$")
_KEY_SET = frozenset(KEYS)


class InstanceError(ValueError):
    """GREEN_API_INSTANCES cannot be used; the message names the instance and the key, never a
    token."""


@dataclass(frozen=True)
class Instance:
    id: int
    api_url: str
    # Never in repr(): a Config (and so any traceback that shows one) holds every instance.
    token: str = field(repr=False)
    label: str = ""
    # The bearer token GREEN-API sends for this instance ("": WEBHOOK_TOKEN's); never in repr().
    webhook_token: str = field(default="", repr=False)
    # Environment-variable form of this instance's own settings, e.g. {"OPERATOR_CHAT_ID": ...}.
    settings: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        """How commands name the instance: its label and id, or the id alone."""
        return f"{self.label} ({self.id})" if self.label else str(self.id)


@dataclass(frozen=True)
class Instances:
    """The instances by idInstance (read-only), and whether other instances are refused."""

    by_id: Mapping[int, Instance] = field(default_factory=lambda: MappingProxyType({}))
    restricted: bool = False
    # Whether some entry has its own webhookUrlToken (the webhook can authenticate its requests
    # even without WEBHOOK_TOKEN).
    own_webhook_tokens: bool = False

    def allows(self, instance_id: int) -> bool:
        return not self.restricted or instance_id in self.by_id

    def get(self, instance_id: int) -> Instance | None:
        return self.by_id.get(instance_id)

    def webhook_token_of(self, instance_id: int | None, fallback: str) -> str:
        """The token a request naming this instance must carry: the entry's own, else
        `fallback` (WEBHOOK_TOKEN). One dict lookup, whatever the map's size."""
        instance = self.by_id.get(instance_id) if instance_id is not None else None
        return (instance.webhook_token if instance is not None else "") or fallback

    def label_of(self, instance_id: int) -> str:
        instance = self.by_id.get(instance_id)
        return instance.label if instance else ""

    def __iter__(self) -> Iterator[Instance]:
        """In idInstance order, so that commands print and poll in a stable order."""
        return iter(sorted(self.by_id.values(), key=lambda instance: instance.id))

    def __len__(self) -> int:
        return len(self.by_id)

    def with_token(self) -> list[Instance]:
        """The instances GREEN-API can be called for (those with a token)."""
        return [instance for instance in self if instance.token]


def single(instance_id: int | None, api_url: str, token: str) -> Instances:
    """The single-instance settings as a map of one; no id: no map, every instance accepted."""
    if instance_id is None:
        return Instances()
    instance = Instance(instance_id, api_url.rstrip("/"), token)
    return Instances(MappingProxyType({instance_id: instance}), restricted=True)


def parse(text: str) -> Instances:
    """GREEN_API_INSTANCES as Instances; InstanceError says what is wrong and where."""
    try:
        value = json.loads(text)
    except ValueError:
        raise InstanceError(f"{VARIABLE} must be a JSON object keyed by idInstance") from None
    if not isinstance(value, dict) or not value:
        raise InstanceError(
            f"{VARIABLE} must be a non-empty JSON object keyed by idInstance, such as "
            '{"1101000001": {"apiUrl": "https://api.green-api.com", "apiTokenInstance": "..."}}'
        )
    # Keys are canonical (no leading zeros), so no two of them name one instance.
    parsed = [_instance(key, entry) for key, entry in value.items()]
    by_id = MappingProxyType({instance.id: instance for instance in parsed})
    return Instances(by_id, True, any(instance.webhook_token for instance in parsed))


def _instance(key: str, entry: Any) -> Instance:
    # Written for a map of hundreds: every check is a set or string operation, so that the map
    # costs a cold start little (bench: cold_start_ratio_500_instances).
    if not _ID.match(key) or int(key) > MAX_ID:
        raise InstanceError(
            f"{VARIABLE}: {key[:30]!r} is not an idInstance (a whole number such as 1101000001)"
        )
    where = f"{VARIABLE}[{key}]"
    if not isinstance(entry, dict):
        raise InstanceError(f"{where} must be a JSON object with {' and '.join(REQUIRED)}")
    # null is "not set": Terraform's jsonencode writes absent optional attributes as null.
    entry = {name: value for name, value in entry.items() if value is not None}
    if not _KEY_SET.issuperset(entry):
        unknown = sorted(set(entry) - _KEY_SET)
        raise InstanceError(
            f"{where} has unknown key {unknown[0][:40]!r}; allowed keys: {', '.join(KEYS)}"
        )
    for name, value in entry.items():
        if not isinstance(value, str):
            raise InstanceError(f"{where}.{name} must be a string")
    missing = [name for name in REQUIRED if not entry.get(name, "").strip()]
    if missing:
        raise InstanceError(f"{where} needs {' and '.join(missing)}")
    api_url = entry["apiUrl"].strip().rstrip("/")
    if not _URL.match(api_url) or not _safe_scheme(api_url):
        raise InstanceError(
            f"{where}.apiUrl must be an https:// URL such as https://api.green-api.com (the API"
            " token travels in it; plain http only to this machine)"
        )
    token = entry["apiTokenInstance"].strip()
    if _NOT_IN_TOKEN.search(token):
        # It becomes a path segment of every GREEN-API URL.
        raise InstanceError(f"{where}.apiTokenInstance must not contain spaces, / ? or #")
    webhook_token = entry.get(WEBHOOK_URL_TOKEN, "").strip()
    if webhook_token and not _WEBHOOK_TOKEN.match(webhook_token):
        raise InstanceError(
            f"{where}.{WEBHOOK_URL_TOKEN} must be at least {MIN_WEBHOOK_TOKEN_CHARS} characters of "
            "letters, digits or ._~+/=- (it travels in an HTTP header)"
        )
    label = entry.get("label", "").strip()
    if len(label) > MAX_LABEL_CHARS:
        raise InstanceError(f"{where}.label is longer than {MAX_LABEL_CHARS} characters")
    settings = {SETTINGS[name]: value for name, value in entry.items() if name in SETTINGS}
    return Instance(int(key), api_url, token, label, webhook_token, MappingProxyType(settings))


def _safe_scheme(api_url: str) -> bool:
    """https, or plain http to a loopback host (as GREEN_API_URL)."""
    if api_url.startswith("https://"):
        return True
    from urllib.parse import urlsplit  # only for an http:// entry: the map stays cheap

    try:
        host = urlsplit(api_url).hostname
    except ValueError:
        return False
    return host in LOOPBACK_HOSTS
