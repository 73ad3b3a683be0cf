"""The webhook's HTTP decisions, independent of the framework that carries the request.

Checks run in a fixed order and the first that fails answers: method, size, a bearer token
at all, body, the token of the instance the body names, instance, type. Each instance of
GREEN_API_INSTANCES may have its own webhookUrlToken (else WEBHOOK_TOKEN): a request is accepted
only with the token of the instance its body names, found by one dict lookup and compared in
constant time, so that no client's token acts for another's instance. Everything up to the
type is pure and imports nothing heavy, so a notification we do not handle is acknowledged
before any storage or network client exists: the service (and with it Firestore and requests)
is imported on the first call (incomingCall, outgoingCall), outgoing message (with
CALLBACK_BY_MESSAGE) or stateInstanceChanged.

Each request gives one log line (call_logger.settings.logs), written once the answer is known,
with the fields gathered on the way; lines about refused requests are throttled to one a minute
per event.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from call_logger.core.envelope import (
    IGNORED,
    STATE_INSTANCE_CHANGED,
    BadBody,
    event_of,
    instance_id_of,
    is_tracked,
    level_for,
    log_fields,
    notification_type,
    parse_body,
)
from call_logger.settings.config import Config
from call_logger.settings.logs import Throttle, annotate, current_fields, request_context

if TYPE_CHECKING:
    from call_logger.flows.shared import Outcome
    from call_logger.flows.webhook import CallService

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


class Reply(NamedTuple):  # not a dataclass: creating one costs the cold start ~0.5 ms
    status: int
    text: str


OK = Reply(200, "OK")
FOREIGN_INSTANCE = "Forbidden: notification for another instance"


class Webhook:
    def __init__(
        self,
        config: Config,
        service: CallService | None = None,
        *,
        refusals: Throttle | None = None,
    ) -> None:
        """`service` is built from `config` on the first incomingCall unless one is given."""
        self._config = config
        # Read once: attribute and property lookups cost every ignored notification.
        self._token_configured = config.auth_configured
        self._allow_unauthenticated = config.allow_unauthenticated
        self._fallback_token = config.webhook_token
        # The Authorization value each instance must send, made on its first request (the hot
        # path then costs one dict lookup): only for ids of the map, so that it stays bounded.
        self._expected: dict[int | None, bytes] = {}
        self._instances = config.instances
        self._callback_by_message = config.callback_by_message
        self._service = service
        self._lock = threading.Lock()
        # Lines about refused requests (401 storms and the like): one a minute per event.
        self._refusals = refusals if refusals is not None else Throttle()

    def handle(
        self,
        method: str,
        authorization: str | None,
        content_length: int | None,
        read: Callable[[int], bytes],
        request_fields: Mapping[str, str] | None = None,
    ) -> Reply:
        """Answer one request and log one line about it. `read(n)` returns at most n bytes of
        the body, b"" at its end; `request_fields` (trace, request id) go on every line."""
        started = time.perf_counter()
        with request_context(**(request_fields or {})) as fields:
            reply = self._answer(fields, method, authorization, content_length, read)
            self._log(reply, fields, started)
        return reply

    def _answer(
        self,
        fields: dict[str, Any],
        method: str,
        authorization: str | None,
        content_length: int | None,
        read: Callable[[int], bytes],
    ) -> Reply:
        refusal = self.refusal(method, authorization, content_length)
        if refusal is not None:
            return refusal
        # Bounded even without a Content-Length; with one, done once that much has come.
        raw = _read_body(read, MAX_BODY_BYTES + 1, content_length)
        if len(raw) > MAX_BODY_BYTES:
            return _refused("request.refused", Reply(413, "Payload Too Large"))
        try:
            body = parse_body(raw)
        except BadBody as error:
            # No instance named: only WEBHOOK_TOKEN can vouch for the sender.
            return self.token_refusal(authorization, None) or _refused(
                "request.refused", Reply(400, f"Bad Request: {error}")
            )
        # The request's fields, set straight on the line's dict (no context lookup: hot path).
        fields["instance"] = instance = instance_id_of(body)
        fields["type"] = kind = notification_type(body)
        refusal = self.token_refusal(authorization, instance)
        if refusal is not None:
            return refusal
        # The allow-list is the instance map's keys: one dict lookup, whatever the map's size.
        if instance is not None and not self._instances.allows(instance):
            return _refused("instance.refused", Reply(403, FOREIGN_INSTANCE))
        if is_tracked(kind, self._callback_by_message):
            fields.update(log_fields(body))  # and for a call, its id, chat and status
            return self._handled(lambda service: service.handle(body, raw))
        if kind == STATE_INSTANCE_CHANGED:
            return self._handled(lambda service: service.record_state(body, raw))
        fields["event"] = IGNORED
        return OK

    def refusal(
        self, method: str, authorization: str | None, content_length: int | None
    ) -> Reply | None:
        """The answer of the checks that come before the body is read (method, size, whether
        a token can be checked at all), or None when they pass. An adapter that cannot decode a
        body asks this first, then token_refusal(authorization, None), so that the stated order
        holds there too."""
        if method != "POST":
            return _refused("request.refused", Reply(405, "Method Not Allowed"))
        if content_length is not None and content_length > MAX_BODY_BYTES:
            return _refused("request.refused", Reply(413, "Payload Too Large"))
        if not self._token_configured:
            if self._allow_unauthenticated:
                return None
            annotate(
                event="auth.unconfigured",
                reason="WEBHOOK_TOKEN is not configured (nor any instance's webhookUrlToken): "
                "refusing every request",
            )
            return _refused("auth.unconfigured", Reply(401, "Unauthorized"))
        if authorization is None and not self._allow_unauthenticated:
            return _refused("auth.refused", Reply(401, "Unauthorized"))  # nothing to read
        return None

    def token_refusal(self, authorization: str | None, instance_id: int | None) -> Reply | None:
        """401 unless `authorization` carries the token of the instance the body names (its
        own webhookUrlToken, else WEBHOOK_TOKEN; no instance: WEBHOOK_TOKEN), else None. Another
        instance's token is refused like a wrong one."""
        if not self._token_configured:
            return None  # refusal() let it through: ALLOW_UNAUTHENTICATED without any token
        expected = self._expected.get(instance_id)
        if expected is None:
            token = self._instances.webhook_token_of(instance_id, self._fallback_token)
            if not token:
                if self._allow_unauthenticated:
                    return None
                if instance_id is None or self._instances.get(instance_id) is None:
                    # No instance of the map, and no WEBHOOK_TOKEN: nobody can vouch for it.
                    return _refused("auth.refused", Reply(401, "Unauthorized"))
                annotate(
                    event="auth.unconfigured",
                    reason=f"instance {instance_id} has no webhookUrlToken and WEBHOOK_TOKEN is "
                    "not configured: refusing its requests",
                )
                return _refused("auth.unconfigured", Reply(401, "Unauthorized"))
            expected = b"Bearer " + token.encode()
            if instance_id is None or self._instances.get(instance_id) is not None:
                self._expected[instance_id] = expected
        if authorization is None:
            return _refused("auth.refused", Reply(401, "Unauthorized"))
        given = authorization.encode("utf-8", errors="replace")
        # The scheme is case-insensitive (RFC 7235); the token is compared in constant time.
        if given[:7].lower() == b"bearer ":
            given = b"Bearer " + given[7:]
        if hmac.compare_digest(given, expected):
            return None
        return _refused("auth.refused", Reply(401, "Unauthorized"))

    def _handled(self, handle: Callable[[CallService], Outcome]) -> Reply:
        from call_logger.stores.base import StorageMisconfigured, StorageUnavailable

        try:
            outcome = handle(self._get_service())
        except StorageMisconfigured as error:
            # Loud: the message names the database, table or index to create or fix.
            annotate(
                event="storage.misconfigured",
                outcome="unavailable",
                error=str(error),
                detail=str(error),
            )
            return Reply(503, "Service Unavailable: storage misconfigured")
        except StorageUnavailable as error:
            annotate(event="storage.unavailable", outcome="unavailable", error=str(error))
            return Reply(503, "Service Unavailable: storage")
        except Exception as error:
            # Unknown failures are treated as passing ones: a resend loses nothing.
            import traceback

            # The traceback rides on the request's one line (inside the JSON, never spread).
            annotate(
                event="notification.failed",
                outcome="failed",
                error=repr(error),
                exception=traceback.format_exc(),
            )
            return Reply(503, "Service Unavailable")
        annotate(outcome=outcome.value)
        return OK

    def _log(self, reply: Reply, fields: dict[str, Any], started: float) -> None:
        if fields.get("event") == IGNORED and not log.isEnabledFor(logging.DEBUG):
            return  # the hot path: nothing more to decide
        level = level_for(fields, reply.status)
        if not log.isEnabledFor(level):  # the ignored path's DEBUG line costs nothing more
            return
        event = event_of(fields)
        extra: dict[str, Any] = {"event": event, "status": reply.status}
        if 400 <= reply.status < 500:
            held = self._refusals.allow(event)
            if held is None:
                return
            extra["suppressed"] = held
        extra["ms"] = round((time.perf_counter() - started) * 1000, 1)
        detail = fields.get("reason") or fields.get("detail") or reply.text
        log.log(level, "%s: HTTP %d %s", event, reply.status, detail, extra=extra)

    def _get_service(self) -> CallService:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    from call_logger.flows.webhook import build_service  # shared with the poller

                    self._service = build_service(self._config)
        return self._service


def _refused(event: str, reply: Reply) -> Reply:
    fields = current_fields()
    annotate(event=fields.get("event") or event, outcome="refused")
    return reply


def _read_body(read: Callable[[int], bytes], limit: int, announced: int | None) -> bytes:
    """At most `limit` bytes: the `announced` length when there is one (a stream allocates what
    it is asked for, and the hot path pays for a megabyte asked in vain), else until b"". A
    stream may return less than asked before its end, so it is read until then."""
    wanted = limit if announced is None else min(limit, announced)
    chunks = []
    received = 0
    while received < wanted:
        chunk = read(wanted - received)
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
