"""What the webhook reads of every notification before it knows whether to handle it: the body
as JSON, its type, its instance, the fields of its log line and how loud that line is (shared by
the webhook and the poller); the instance state its log lines key on.

Standard library only and no dataclasses: every ignored notification, and every cold start,
runs this module (creating a dataclass costs about a millisecond); call_logger.core.notification
parses the notifications that are handled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decimal import Decimal

INCOMING_CALL = "incomingCall"
OUTGOING_CALL = "outgoingCall"  # a call made from the business's phone
CALL_TYPES = frozenset({INCOMING_CALL, OUTGOING_CALL})
# A message sent from the phone, and one sent through the API (the product's replies too).
OUTGOING_MESSAGE_API = "outgoingAPIMessageReceived"
OUTGOING_MESSAGE_TYPES = frozenset({"outgoingMessageReceived", OUTGOING_MESSAGE_API})
STATE_INSTANCE_CHANGED = "stateInstanceChanged"
# The one stateInstance in which the instance receives calls; any other one needs a person.
AUTHORIZED = "authorized"
IGNORED = "notification.ignored"  # the event of a type acknowledged without storing anything


class BadBody(ValueError):
    """The body is not a JSON object: no notification can be read from it."""


def is_tracked(kind: str | None, callback_by_message: bool) -> bool:
    """Whether a notification type reaches the service; every other type is acknowledged."""
    return kind in CALL_TYPES or (callback_by_message and kind in OUTGOING_MESSAGE_TYPES)


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or BadBody."""
    try:
        value = _read_json(raw.decode("utf-8").strip(_JSON_WHITESPACE))
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise BadBody("the body is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise BadBody("the body is not a JSON object")
    return value


def _read_json(text: str) -> Any:
    """What json.loads(text) returns, read by the json module's C scanner directly: loads adds
    a decoder, two regular expressions and four Python calls to every body (the hot path)."""
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:  # no JSON value at the start
        raise ValueError("not JSON") from None
    except json.JSONDecodeError:
        raise
    except ValueError:
        # An integer past int()'s digit limit: still valid JSON (a 400 would stall the
        # instance's queue for 24 h). Read again, such numbers as Decimals: no Decimal is an
        # int, so such a number is never taken as an id or a time.
        value, end = _SCAN_BIG_INTS(text, 0)
    if end != len(text):
        raise ValueError("more than one JSON value")
    return value


def _parse_int(digits: str) -> int | Decimal:
    try:
        return int(digits)
    except ValueError:  # past int()'s digit limit
        from decimal import Decimal

        return Decimal(digits)


def notification_type(body: dict[str, Any]) -> str | None:
    kind = body.get("typeWebhook")
    return kind if isinstance(kind, str) else None


def instance_id_of(body: dict[str, Any]) -> int | None:
    """instanceData.idInstance when it is readable as a whole number, else None."""
    data = body.get("instanceData")
    if not isinstance(data, dict):
        return None
    value = data.get("idInstance")
    return value if _is_int(value) else None


def log_fields(body: dict[str, Any]) -> dict[str, Any]:
    """What a log line says about a notification: its instance and type, and for a call its id,
    chat and status (the chat id is masked by the log formatter unless LOG_CHAT_IDS=full)."""
    kind = notification_type(body)
    fields: dict[str, Any] = {"instance": instance_id_of(body), "type": kind}
    if kind in CALL_TYPES:
        fields.update(
            callId=body.get("idMessage"), chatId=body.get("from"), callStatus=body.get("status")
        )
    return fields


# JSON's whitespace (RFC 8259), and no more: str.strip() would also drop what JSON refuses.
_JSON_WHITESPACE = " \t\n\r"
# JSONDecoder's own C scanner (set by its __init__; the type stubs leave it out).
_Scan = Callable[[str, int], tuple[Any, int]]
_SCAN: _Scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SCAN_BIG_INTS: _Scan = json.JSONDecoder(parse_int=_parse_int).scan_once  # type: ignore[attr-defined]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def event_of(fields: Mapping[str, Any]) -> str:
    """The line's event: set while answering, else call.<outcome> (call.recorded, ...)."""
    return str(fields.get("event") or f"call.{fields.get('outcome')}")


def level_for(fields: Mapping[str, Any], status: int | None) -> int:
    """How loud the line about one notification is (the alerts key on ERROR and on outcomes)."""
    outcome = fields.get("outcome")
    if (
        (status is not None and status >= 500)
        or outcome in ("unavailable", "failed")
        or fields.get("event") == "auth.unconfigured"  # a configuration error is loud
    ):
        return logging.ERROR
    if fields.get("event") == "instance.state" and outcome == "recorded":
        return logging.INFO if fields.get("state") == AUTHORIZED else logging.ERROR
    if (status is not None and status >= 400) or outcome == "rejected":
        return logging.WARNING
    if fields.get("event") == IGNORED:
        return logging.DEBUG
    return logging.INFO
