"""What the webhook's and the reconcile flows share: the outcome of one notification, the
GREEN-API methods they use, and the messages a recorded call sends (the caller's reply, the
operator's notice)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from call_logger.core import replies, send_caps
from call_logger.core.notification import CallNotification
from call_logger.core.write_plan import Record
from call_logger.settings.config import Config
from call_logger.stores.base import Store

log = logging.getLogger(__name__)

# GREEN-API's answer to a send beyond the plan's quota (the Developer plan's 3 chats a month).
QUOTA_EXCEEDED = 466


class Outcome(StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"  # an earlier delivery recorded it
    SKIPPED = "skipped"  # the mode does not keep this status
    REJECTED = "rejected"  # can never be recorded: kept in `rejected`
    OUTDATED = "outdated"  # a newer instance state is already stored


class Contact(Protocol):
    @property
    def name(self) -> str | None: ...


class GreenApi(Protocol):
    """The GREEN-API methods the service uses (green_api.GreenApiClient provides them)."""

    def get_contact_info(self, chat_id: str, *, budget: float) -> Contact: ...

    def lid_of(self, chat_id: str, *, budget: float) -> str | None: ...

    def send_message(self, chat_id: str, message: str, *, budget: float) -> Any: ...

    def last_incoming_calls(self, minutes: int) -> list[Any]: ...


# idInstance -> the GREEN-API client of that instance, or None when it cannot be called (not in
# the map, or no token): green_api.ClientPool is the real one.
Clients = Callable[[int], GreenApi | None]


def no_clients(instance_id: int) -> GreenApi | None:
    return None


@dataclass(frozen=True)
class Line:
    """What a call's own instance brings: its settings (the deployment's, with the instance's
    own in GREEN_API_INSTANCES) and its GREEN-API client (None: GREEN-API is not called)."""

    settings: Config
    green_api: GreenApi | None


def send_reply(store: Store, call: CallNotification, text: str, line: Line) -> None:
    """Send the claimed reply to the caller, through the call's own instance, and note on
    the record what became of it. Neither a failed send nor a failed note fails the
    notification; nothing is retried inline (the chat's cooldown is spent either way: a
    caller never gets two)."""
    assert line.green_api is not None  # a reply is claimed only with a client
    try:
        reply_id = line.green_api.send_message(
            call.chat_id, text, budget=line.settings.lookup_budget
        )
    except Exception as error:
        log_failed_send("reply.failed", "automatic reply", error)
        outcome = {"replyError": str(error)[:500]}
    else:
        log.info(
            "automatic reply sent: %s",
            reply_id,
            extra={"event": "reply.sent", "callId": call.call_id, "replyId": reply_id},
        )
        outcome = {"replyId": reply_id}
    try:
        store.update_record(call.chat_key, call.record_key, outcome)
    except Exception as error:  # the record stands; only this note of the reply is missing
        log.warning(
            "could not note the reply on the record: %s",
            error,
            extra={"event": "reply.note_failed", "callId": call.call_id},
        )


def notify_operator(call: CallNotification, record: Record, line: Line) -> None:
    """Tell the instance's operator chat about the recorded call ("Missed call from Ivan
    +7900..."), through that instance."""
    assert line.green_api is not None
    config = line.settings
    text = replies.render(config.operator_template, call, record.caller_name, record.label)
    try:
        line.green_api.send_message(config.operator_chat_id, text, budget=config.lookup_budget)
    except Exception as error:  # a failed notice is logged, never fails the notification
        log_failed_send("operator.failed", "operator notice", error)


def log_failed_send(event: str, what: str, error: Exception) -> None:
    """A quota answer (466) or a failure that may pass (429, 5xx, timeouts) is a WARNING; one
    that needs the operator (401, 403, 400 not authorized, a bug) is an ERROR. The line carries
    the request's callId and chatId (masked) from the log context."""
    status = getattr(error, "status", None)
    if status == QUOTA_EXCEEDED:
        level, reason = logging.WARNING, "the GREEN-API plan's quota is used up"
    elif getattr(error, "retryable", False):
        level, reason = logging.WARNING, "GREEN-API did not take it now"
    else:
        level, reason = logging.ERROR, "GREEN-API refused it"
    log.log(
        level,
        "%s not sent (%s): %s",
        what,
        reason,
        error,
        extra={"event": event, "greenApiStatus": status},
    )


def warn_of_caps(instance_id: int, decisions: Iterable[send_caps.CapDecision]) -> None:
    """The WARNING that names a cap, once an hour per instance and kind (core/send_caps)."""
    for decision in decisions:
        if decision.warn:
            log.warning(
                "%s reached for instance %s: no more such messages this hour",
                decision.setting,
                instance_id,
                extra={"event": "send.capped", "cap": decision.setting, "instance": instance_id},
            )
