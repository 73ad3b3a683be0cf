"""A small GREEN-API HTTP client.

Imported lazily (only when a call notification needs it): it pulls in requests. Nothing on the
ignored-notification path may import this module.

Retries and the bound on a whole call: green_api_transport.py.

The API token sits in the URL path, and requests/urllib3 put URLs into exception messages and
debug logs; every message this module raises is redacted, and a logging filter redacts the
token in urllib3's and requests' own log records.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from call_logger.green_api_transport import instance_session, within
from call_logger.settings.logs import SecretsFilter, redact, secret_variants

if TYPE_CHECKING:
    from call_logger.settings.config import Config
    from call_logger.settings.instances import Instance, Instances

__all__ = ["ClientPool", "ContactInfo", "GreenApiClient", "GreenApiError", "Notification"]

_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "requests",
)
_ERROR_BODY_CHARS = 200


class GreenApiError(Exception):
    """Any GREEN-API failure. The message never contains the API token.

    status is the HTTP status, or None for timeouts, connection errors and unusable bodies;
    retryable says whether trying again later (not inline) may succeed.
    """

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True)
class ContactInfo:
    # contactName (the phone's address book) when non-empty, else the WhatsApp profile name.
    name: str | None


@dataclass(frozen=True)
class Notification:
    receipt_id: int
    body: object  # whatever JSON GREEN-API sent (None also when absent); the caller validates it
    # The whole answer as received: `"body" in item` tells a missing body from a null one.
    item: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


_LOG_FILTER = SecretsFilter()
for _name in _LOGGERS:
    # A logger's filters see only records created on that very logger, hence the full list.
    logging.getLogger(_name).addFilter(_LOG_FILTER)


class GreenApiClient:
    def __init__(
        self,
        base_url: str,
        instance_id: int,
        api_token: str,
        *,
        timeout: tuple[float, float] = (3.05, 10),
        backoff_factor: float = 0.5,
    ) -> None:
        if not api_token:
            raise ValueError("api_token is empty")
        self._token = api_token
        self._secrets = secret_variants(api_token)
        _LOG_FILTER.add(api_token)
        self._timeout = timeout
        self._prefix = f"{base_url.rstrip('/')}/waInstance{instance_id}"
        self.instance_id = instance_id

        self._session = instance_session(self._prefix, backoff_factor=backoff_factor)

    @classmethod
    def from_config(cls, config: Config) -> GreenApiClient | None:
        """A client for the configured instance, or None when the id or token is missing."""
        if config.instance_id is None or not config.green_api_token:
            return None
        return cls(config.green_api_url, config.instance_id, config.green_api_token)

    @classmethod
    def for_instance(cls, instance: Instance, **options: Any) -> GreenApiClient | None:
        """A client for one instance of the map, or None when it has no token."""
        if not instance.token:
            return None
        return cls(instance.api_url, instance.id, instance.token, **options)

    def __repr__(self) -> str:
        return f"GreenApiClient({self._prefix!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> GreenApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- methods ----------------------------------------------------------------------------

    def get_contact_info(self, chat_id: str, *, budget: float) -> ContactInfo:
        """The caller's name; the whole call finishes within `budget` seconds or raises.

        No retries: the method allows 1 request/s per instance.
        """
        data = self._post_within("getContactInfo", {"chatId": chat_id}, budget)
        if not isinstance(data, dict):
            raise GreenApiError("getContactInfo: the answer is not a JSON object")
        for key in ("contactName", "name"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return ContactInfo(name=value.strip())
        return ContactInfo(name=None)

    def lid_of(self, chat_id: str, *, budget: float) -> str | None:
        """The lid (`<digits>@lid`) of a phone chat id's WhatsApp user: checkWhatsapp with
        `chatId` answers the found user's lid (GREEN-API's newest docs); None when it gives
        none. Within `budget` seconds or raises; no retries."""
        data = self._post_within("checkWhatsapp", {"chatId": chat_id}, budget)
        found = data.get("chatId") if isinstance(data, dict) else None
        if isinstance(found, str) and found.endswith("@lid") and found != chat_id:
            return found
        return None

    def send_message(self, chat_id: str, message: str, *, budget: float) -> str:
        """Send a text message; returns idMessage. The whole call finishes within `budget`
        seconds or raises (after a timeout the message may still have been sent). Never
        retried: it is not idempotent."""
        data = self._post_within("sendMessage", {"chatId": chat_id, "message": message}, budget)
        message_id = data.get("idMessage") if isinstance(data, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise GreenApiError("sendMessage: the answer has no idMessage")
        return message_id

    def get_settings(self) -> dict[str, Any]:
        return self._object("getSettings", self._request("GET", "getSettings"))

    def set_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """POST setSettings (not retried). GREEN-API applies it within ~5 min and restarts."""
        return self._object("setSettings", self._request("POST", "setSettings", json=settings))

    def get_state_instance(self) -> str:
        """The instance's authorisation state: authorized, notAuthorized, blocked, starting..."""
        data = self._request("GET", "getStateInstance")
        state = data.get("stateInstance") if isinstance(data, dict) else None
        if not isinstance(state, str):
            raise GreenApiError("getStateInstance: the answer has no stateInstance")
        return state

    def get_webhooks_count(self) -> int:
        """How many notifications wait in the instance's webhook queue (undelivered: the
        webhook failed or is slow)."""
        data = self._request("GET", "getWebhooksCount")
        count = data.get("count") if isinstance(data, dict) else None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise GreenApiError("getWebhooksCount: the answer has no count")
        return count

    def receive_notification(self, receive_timeout: int) -> Notification | None:
        """Long-poll the HTTP API queue; None when it stayed empty for receive_timeout s."""
        # GREEN-API holds the request up to receiveTimeout: the read timeout must outlast it.
        timeout = (self._timeout[0], receive_timeout + self._timeout[1])
        data = self._request(
            "GET",
            "receiveNotification",
            params={"receiveTimeout": receive_timeout},
            timeout=timeout,
        )
        if data is None:
            return None
        receipt_id = data.get("receiptId") if isinstance(data, dict) else None
        if not isinstance(receipt_id, int) or isinstance(receipt_id, bool):
            raise GreenApiError("receiveNotification: the answer has no receiptId")
        # An item without a body is still handed over: only its receiptId can delete it.
        return Notification(receipt_id=receipt_id, body=data.get("body"), item=data)

    def last_incoming_calls(self, minutes: int) -> list[Any]:
        """The call journal of the last `minutes` minutes, newest first, as GREEN-API sent it
        (the caller validates the entries). Not retried: journal methods allow about one
        request a second, and an immediate retry would meet a 429; the next run retries."""
        data = self._request("GET", "lastIncomingCalls", params={"minutes": int(minutes)})
        if not isinstance(data, list):
            raise GreenApiError("lastIncomingCalls: the answer is not a JSON array", retryable=True)
        return data

    def delete_notification(self, receipt_id: int) -> bool:
        """True if deleted; False if GREEN-API did not know the receipt (e.g. already deleted)."""
        data = self._request("DELETE", "deleteNotification", suffix=f"/{int(receipt_id)}")
        result = data.get("result") if isinstance(data, dict) else None
        if not isinstance(result, bool):
            raise GreenApiError("deleteNotification: the answer has no result")
        return result

    # -- plumbing ---------------------------------------------------------------------------

    def _request(
        self,
        verb: str,
        method: str,
        *,
        suffix: str = "",
        params: dict[str, Any] | None = None,
        json: Any = None,
        timeout: tuple[float, float] | None = None,
    ) -> Any:
        url = f"{self._prefix}/{method}/{self._token}{suffix}"
        failure: GreenApiError
        # Errors are built inside `except` but raised after it, so the original exception (whose
        # message and request carry the URL with the token) is neither chained nor kept.
        try:
            response = self._session.request(
                verb, url, params=params, json=json, timeout=timeout or self._timeout
            )
        except requests.Timeout as error:
            failure = self._error(method, f"timed out: {error}", status=None, retryable=True)
        except requests.RequestException as error:
            failure = self._error(method, f"request failed: {error}", status=None, retryable=True)
        else:
            with response:
                if response.status_code != 200:
                    body = response.text[:_ERROR_BODY_CHARS]
                    status = response.status_code
                    raise self._error(
                        method,
                        f"HTTP {status} {response.reason}: {body}",
                        status=status,
                        retryable=status == 429 or status >= 500,
                    )
                try:
                    return response.json()
                except ValueError:
                    # A proxy or a half-deployed gateway; trying later may well work.
                    failure = self._error(
                        method, "the answer is not JSON", status=None, retryable=True
                    )
        raise failure

    def _error(
        self, method: str, detail: str, *, status: int | None, retryable: bool
    ) -> GreenApiError:
        message = redact(f"{method}: {detail}", self._secrets)
        return GreenApiError(message, status=status, retryable=retryable)

    def _post_within(self, method: str, payload: dict[str, Any], budget: float) -> Any:
        """POST `payload` to `method` (no retries), all of it within `budget` seconds; every
        failure a redacted GreenApiError."""
        if budget <= 0:
            raise ValueError("budget must be more than zero")
        # The socket's own read timeout runs a second past the budget, only to end the worker
        # within() abandons: were it the budget too, a loaded machine could let it fire first,
        # and a hang would read as a read timeout instead of the budget's own message.
        timeout = (min(self._timeout[0], budget), budget + 1.0)
        return within(
            budget,
            f"green-api-{method}",
            lambda: self._request("POST", method, json=payload, timeout=timeout),
            expected=GreenApiError,
            unexpected=lambda error: self._error(
                method, f"unexpected {type(error).__name__}: {error}", status=None, retryable=False
            ),
            late=lambda: self._error(
                method, f"no complete answer within {budget:g} s", status=None, retryable=True
            ),
        )

    @staticmethod
    def _object(method: str, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise GreenApiError(f"{method}: the answer is not a JSON object")
        return data


class ClientPool:
    """The GREEN-API client of each instance of the map, made on its first call and then kept
    (its connections serve the instance's next calls). Made lazily so that a map of hundreds of
    instances costs nothing at start; a call of an instance outside the map, or of one without
    a token, gets None."""

    def __init__(self, instances: Instances, **options: Any) -> None:
        self._instances = instances
        self._options = options
        self._clients: dict[int, GreenApiClient | None] = {}
        self._lock = threading.Lock()

    def __call__(self, instance_id: int) -> GreenApiClient | None:
        try:
            return self._clients[instance_id]
        except KeyError:
            pass
        with self._lock:
            if instance_id not in self._clients:
                instance = self._instances.get(instance_id)
                self._clients[instance_id] = (
                    None
                    if instance is None
                    else GreenApiClient.for_instance(instance, **self._options)
                )
            return self._clients[instance_id]

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                if client is not None:
                    client.close()
            self._clients.clear()
