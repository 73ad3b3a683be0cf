"""The webhook's HTTP decisions, independent of the framework that carries the request.

Checks run in a fixed order and the first that fails answers: method, size, token, body,
instance, type. Everything up to the type is pure and imports nothing heavy, so a notification
we do not handle is acknowledged before any storage or network client exists: the service (and
with it Firestore and requests) is imported on the first incomingCall only.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import Config
from .notification import INCOMING_CALL, BadBody, instance_id_of, notification_type, parse_body

if TYPE_CHECKING:
    from .service import CallService

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Reply:
    status: int
    text: str


OK = Reply(200, "OK")


class Webhook:
    def __init__(self, config: Config, service: CallService | None = None) -> None:
        """`service` is built from `config` on the first incomingCall unless one is given."""
        self._config = config
        self._expected = f"Bearer {config.webhook_token}".encode()
        self._service = service
        self._lock = threading.Lock()

    def handle(
        self,
        method: str,
        authorization: str | None,
        content_length: int | None,
        read: Callable[[int], bytes],
    ) -> Reply:
        """Answer one request. `read(n)` returns at most n bytes of the body, b"" at its end."""
        refusal = self.refusal(method, authorization, content_length)
        if refusal is not None:
            return refusal
        raw = _read_at_most(read, MAX_BODY_BYTES + 1)  # bounded even without a Content-Length
        if len(raw) > MAX_BODY_BYTES:
            return Reply(413, "Payload Too Large")
        try:
            body = parse_body(raw)
        except BadBody as error:
            return Reply(400, f"Bad Request: {error}")
        # The allow-list is the instance map's keys: one dict lookup, whatever the map's size.
        instance = instance_id_of(body)
        if instance is not None and not self._config.instances.allows(instance):
            return Reply(403, "Forbidden: notification for another instance")
        if notification_type(body) != INCOMING_CALL:
            return OK
        return self._handle_call(body, raw)

    def refusal(
        self, method: str, authorization: str | None, content_length: int | None
    ) -> Reply | None:
        """The answer of the checks that come before the body is read (method, size, token), or
        None when they pass. An adapter that cannot decode a body asks this first, so that the
        stated order holds there too."""
        if method != "POST":
            return Reply(405, "Method Not Allowed")
        if content_length is not None and content_length > MAX_BODY_BYTES:
            return Reply(413, "Payload Too Large")
        if not self._authorized(authorization):
            return Reply(401, "Unauthorized")
        return None

    def _authorized(self, authorization: str | None) -> bool:
        if not self._config.auth_configured:
            if self._config.allow_unauthenticated:
                return True
            log.error("WEBHOOK_TOKEN is not configured: refusing every request")
            return False
        if authorization is None:
            return False
        given = authorization.encode("utf-8", errors="replace")
        # The scheme is case-insensitive (RFC 7235); the token is compared in constant time.
        if given[:7].lower() == b"bearer ":
            given = b"Bearer " + given[7:]
        return hmac.compare_digest(given, self._expected)

    def _handle_call(self, body: dict[str, object], raw: bytes) -> Reply:
        from .store import StorageUnavailable

        try:
            service = self._get_service()
            outcome = service.handle(body, raw)
        except StorageUnavailable as error:
            log.error("storage unavailable, GREEN-API will resend: %s", error)
            return Reply(503, "Service Unavailable: storage")
        except Exception:
            # Unknown failures are treated as passing ones: a resend loses nothing.
            log.exception("incomingCall failed, GREEN-API will resend")
            return Reply(503, "Service Unavailable")
        log.info(
            "incomingCall %r from %r: %s",
            body.get("status"),
            body.get("from"),
            outcome.value,
        )
        return OK

    def _get_service(self) -> CallService:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    from .service import build_service  # shared with the poller

                    self._service = build_service(self._config)
        return self._service


def _read_at_most(read: Callable[[int], bytes], limit: int) -> bytes:
    # A stream may return less than asked before its end, so read until the limit or b"".
    chunks = []
    while limit > 0:
        chunk = read(limit)
        if not chunk:
            break
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)
