"""The events a write causes, added to its plan so that they commit with it (docs/events.md):
call.recorded with a new record, callback.done with the chat write that ends a wait for a
call-back, instance.state_changed with a new instance state. Pure; the flows call it only for
an instance with EVENTS_URL (an Announce)."""

from __future__ import annotations

from dataclasses import replace

from call_logger.core.events import (
    Announce,
    OutboxEvent,
    call_recorded,
    callback_done,
    state_changed,
)
from call_logger.core.notification import StateNotification
from call_logger.core.state_plan import StateWrite, StoredState
from call_logger.core.write_plan import (
    AWAITING_CALLBACK,
    LAST_MISSED,
    LAST_OUTGOING_CALL,
    LAST_OUTGOING_MESSAGE,
    ChatState,
    ChatWrite,
    WritePlan,
)


def with_record_events(plan: WritePlan, chat: ChatState | None, announce: Announce) -> WritePlan:
    """The plan with call.recorded, and callback.done when the call is the business's answered
    call back to a chat waiting for one."""
    record = plan.record
    events = (call_recorded(announce, plan.record_key, record.fields()),)
    done = _callback_done(announce, chat, plan.chat, record.instance_id, record.chat_id)
    return replace(plan, events=events if done is None else (*events, done))


def with_callback_event(
    write: ChatWrite, chat: ChatState, announce: Announce, instance_id: int, chat_id: str
) -> ChatWrite:
    """The chat write of a message, with callback.done when it ends the chat's wait."""
    done = _callback_done(announce, chat, write, instance_id, chat_id)
    return write if done is None else replace(write, events=(*write.events, done))


def with_state_event(
    write: StateWrite,
    notification: StateNotification,
    stored: StoredState | None,
    announce: Announce,
) -> StateWrite:
    previous = None if stored is None else stored.state
    return replace(write, events=(state_changed(announce, notification, previous),))


def _callback_done(
    announce: Announce,
    chat: ChatState | None,
    write: ChatWrite | None,
    instance_id: int,
    chat_id: str,
) -> OutboxEvent | None:
    """callback.done when this write ends the chat's wait by the business's own call or
    message (a caller who calls again and is answered is no call-back)."""
    if chat is None or write is None or not chat.awaiting_callback:
        return None
    if write.fields.get(AWAITING_CALLBACK) is not False or LAST_MISSED not in chat.times:
        return None
    for moved, via in ((LAST_OUTGOING_CALL, "call"), (LAST_OUTGOING_MESSAGE, "message")):
        if moved in write.fields:
            name = write.fields.get("callerName", chat.caller_name)
            missed = chat.times[LAST_MISSED]
            return callback_done(
                announce, instance_id, chat_id, name, missed, write.fields[moved], via
            )
    return None
