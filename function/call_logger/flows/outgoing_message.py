"""A message the business sent (outgoingMessageReceived, outgoingAPIMessageReceived) in, the
call-back it is out: it handles the chat's missed calls (CALLBACK_BY_MESSAGE), and those of the
same person under their other id (a lid's chat and a phone's, where a link is known), unless it
is the product's own reply. CallService runs it for the webhook and the poller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from call_logger.core import replies
from call_logger.core.notification import OutgoingMessage
from call_logger.core.write_plan import ChatState, plan_outgoing_message
from call_logger.flows.shared import Outcome
from call_logger.stores.base import StorageUnavailable, Store, WriteConflict

# Concurrent notifications of one chat can each lose the conditional commit; a few rounds settle.
MAX_WRITE_ROUNDS = 8
# Pauses (s) between looks for the replyId of a reply still being sent (replies.REPLY_NOTE_WINDOW):
# together longer than a send within CONTACT_LOOKUP_BUDGET's default and the note after it.
REPLY_NOTE_WAITS = (0.25, 0.5, 1.0, 2.0)


def note_message(
    store: Store,
    message: OutgoingMessage,
    cooldown: timedelta,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> Outcome:
    """Note the message on its chat (and the person's other chat). A chat that never called
    costs one blind write (the probe): nothing waits there, and no chat document is made."""
    if not store.probe_chat(message.chat_key):
        return Outcome.SKIPPED
    chat = store.load_chat(message.chat_key)
    if chat is None:
        return Outcome.SKIPPED
    if message.via_api and _is_own_reply(store, message, chat, cooldown, now, sleep):
        return Outcome.SKIPPED  # the missed-call reply: no call back by a person
    outcome = _note_on(store, message.chat_key, chat, message.event_at)
    if chat.linked_chat_id is not None:
        # The same person under their other id (lid or phone): called back there too.
        linked_key = f"{message.instance_id}_{chat.linked_chat_id}"
        noted = _note_on(store, linked_key, store.load_chat(linked_key), message.event_at)
        if noted is Outcome.RECORDED:
            outcome = noted
    return outcome


def _note_on(store: Store, chat_key: str, chat: ChatState | None, at: datetime) -> Outcome:
    """Note a message sent to the chat `at` on its summary."""
    for _ in range(MAX_WRITE_ROUNDS):
        if chat is None:
            return Outcome.SKIPPED
        write = plan_outgoing_message(chat, at)
        if write is None:
            return Outcome.DUPLICATE  # an earlier or newer message is already counted
        try:
            store.save_chat(chat_key, write)
        except WriteConflict:
            chat = store.load_chat(chat_key)
            continue
        return Outcome.RECORDED
    raise StorageUnavailable(f"chat {chat_key} kept changing under {MAX_WRITE_ROUNDS} writes")


def _is_own_reply(
    store: Store,
    message: OutgoingMessage,
    chat: ChatState,
    cooldown: timedelta,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> bool:
    """Whether a message sent through the API is the product's own reply: the text of the reply
    claimed for the chat within its cooldown (no read), or a record of the chat holds its id.
    Right after a claim the id may not be noted yet (the webhook about the message can overtake
    the send's answer), so then it is looked for a few more times: counted as a person's
    call-back, the reply would mark the missed call handled."""
    if replies.is_sent_reply(message, chat.last_reply_digest, chat.last_reply_at, cooldown):
        return True
    chat_key, message_id = message.chat_key, message.message_id
    if store.is_reply(chat_key, message_id):
        return True
    if not replies.reply_may_be_unnoted(chat.last_reply_at, now()):
        return False
    for pause in REPLY_NOTE_WAITS:
        sleep(pause)
        if store.is_reply(chat_key, message_id):
            return True
    return False
