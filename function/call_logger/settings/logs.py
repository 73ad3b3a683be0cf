"""Structured logs: one JSON object per line on stdout, for Cloud Logging and CloudWatch Logs.

Code logs with `logging.getLogger(__name__)` and passes stable fields as `extra={...}`
(event, instance, callId, chatId, status, outcome, ms, ...); every key of `extra` becomes a key of
the JSON line. Fields of the request being handled (its trace, and what the webhook learnt of the
notification) are kept in a context variable and added to every line logged while it runs.

Cloud Logging reads `severity`, `message` and `logging.googleapis.com/trace` from the line; a
traceback stays inside the line (`exception`). Chat ids are masked unless LOG_CHAT_IDS=full,
and the configured tokens are replaced wherever they appear.

Standard library only: this module is loaded on the ignored-notification hot path.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

if TYPE_CHECKING:
    from call_logger.settings.config import Config

REDACTED = "***"
# A GREEN-API URL carries the instance's token as the path segment after the method. Redacting by
# this shape covers every instance of GREEN_API_INSTANCES in one pass, whatever the map's size
# (naming each of hundreds of tokens would cost every log line a replace per token).
_TOKEN_IN_URL = re.compile(r"(/waInstance\d+/[A-Za-z]+/)[^/\s?#\"\\]+")
TRACE_KEY = "logging.googleapis.com/trace"
SPAN_KEY = "logging.googleapis.com/spanId"

# LogRecord's own attributes; anything else on a record came from `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# <digits>@c.us (a person), @lid (an opaque WhatsApp id), @g.us (a group): 4 + *** + 4 digits.
_LONG_CHAT_ID = re.compile(r"(?<!\d)(\d{4})\d+(\d{4})(@(?:c\.us|lid|g\.us))")
_SHORT_CHAT_ID = re.compile(r"(?<![\d*])\d{1,8}(@(?:c\.us|lid|g\.us))")
# X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=OPTIONS (span and options optional).
_CLOUD_TRACE = re.compile(r"^([0-9a-fA-F]{32})(?:/(\d+))?")

_request_fields: ContextVar[dict[str, Any] | None] = ContextVar("request_fields", default=None)


def mask_chat_ids(text: str) -> str:
    """79001234567@c.us -> 7900***4567@c.us; ids of 8 digits or fewer keep only their domain."""
    return _SHORT_CHAT_ID.sub(rf"{REDACTED}\1", _LONG_CHAT_ID.sub(rf"\1{REDACTED}\2\3", text))


def cloud_trace_fields(header: str | None, project: str | None) -> dict[str, str]:
    """The Cloud Logging trace fields for an X-Cloud-Trace-Context header (none without both)."""
    if not header or not project:
        return {}
    match = _CLOUD_TRACE.match(header)
    if not match:
        return {}
    fields = {TRACE_KEY: f"projects/{project}/traces/{match.group(1).lower()}"}
    if match.group(2):
        fields[SPAN_KEY] = match.group(2)
    return fields


class request_context:
    """Fields added to every line logged inside the block; `annotate` adds more on the way.
    A class rather than a generator: it runs on the ignored-notification hot path."""

    __slots__ = ("_fields", "_token")

    def __init__(self, **fields: Any) -> None:
        self._fields = fields

    def __enter__(self) -> dict[str, Any]:
        self._token = _request_fields.set(self._fields)
        return self._fields

    def __exit__(self, *exc_info: object) -> None:
        _request_fields.reset(self._token)


def current_fields() -> dict[str, Any]:
    """The current request's fields so far (empty outside a request_context)."""
    return dict(_request_fields.get() or {})


def annotate(**fields: Any) -> None:
    """Add fields to the current request's lines (nothing outside a request_context)."""
    current = _request_fields.get()
    if current is not None:
        current.update(fields)


def secret_variants(secret: str) -> frozenset[str]:
    """A secret as it may appear: plain, and quoted as in a URL's path or query."""
    return frozenset(v for v in (secret, quote(secret, safe=""), quote(secret)) if v)


def redact(text: str, secrets: frozenset[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class SecretsFilter(logging.Filter):
    """Replaces known secrets in the log records of the loggers it is attached to (a library's
    own records, e.g. urllib3's debug lines, which carry URLs with the token)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: frozenset[str] = frozenset()

    def add(self, secret: str) -> None:
        self.secrets = self.secrets | secret_variants(secret)  # rebinding: safe without a lock

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self.secrets
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's problem, not ours
            return True
        redacted = redact(message, secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, *, mask: bool = True, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._mask = mask
        # Longest first: a token that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        entry.update(_request_fields.get() or {})
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        line = json.dumps(entry, ensure_ascii=False, default=str)  # newlines become \n: one line
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        if "/waInstance" in line:
            line = _TOKEN_IN_URL.sub(rf"\g<1>{REDACTED}", line)
        return mask_chat_ids(line) if self._mask else line


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """The handler configure() installed (a second configure() replaces it). Without a stream of
    its own it writes to sys.stdout as it is at each line, so a replaced stdout is followed."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(stream)
        self._follow_stdout = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        if self._follow_stdout:
            self.stream = sys.stdout
        super().emit(record)


def configure(
    level: str = "INFO",
    chat_ids: str = "masked",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> None:
    """Send every log record to stdout as one JSON line; replaces an earlier configure().

    The Lambda runtime installs a root handler of its own (module awslambdaric or bootstrap);
    it is removed, or every line would be written twice.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        module = type(handler).__module__
        if isinstance(handler, _OurHandler) or module.startswith(("awslambdaric", "bootstrap")):
            root.removeHandler(handler)
    handler = _OurHandler(stream)
    handler.setFormatter(JsonFormatter(mask=chat_ids != "full", secrets=secrets))
    root.addHandler(handler)
    root.setLevel(level)


def configure_for(config: Config, stream: TextIO | None = None) -> None:
    """configure() with LOG_LEVEL, LOG_CHAT_IDS and the configuration's tokens."""
    configure(
        config.log_level,
        config.log_chat_ids,
        secrets=(*config.secrets, *_event_secrets(config)),
        stream=stream,
    )


def _event_secrets(config: Config) -> list[str]:
    """EVENTS_SECRET, the deployment's and each instance's own."""
    found = [config.events.secret] if config.events is not None else []
    found += [
        i.settings["EVENTS_SECRET"] for i in config.instances if "EVENTS_SECRET" in i.settings
    ]
    return found


class Throttle:
    """At most one line per key and interval: `allow(key)` says whether to log now and how many
    lines were held back since the last one (a storm of bad requests costs one line a minute)."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def allow(self, key: str) -> int | None:
        """None: hold this line back; else the number of lines held back before it."""
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._interval:
                self._held[key] = self._held.get(key, 0) + 1
                return None
            self._last[key] = now
            return self._held.pop(key, 0)
