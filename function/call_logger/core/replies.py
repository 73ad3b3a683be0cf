"""Which messages a recorded call sends, and their text. Pure: the service sends them.

Only the delivery that created the record asks (CallService), so nothing here has to know about
redeliveries. Every message goes to a person's chat, never to a group.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from string import Formatter

from call_logger.core.notification import CallNotification, OutgoingMessage
from call_logger.settings.config import Config
from call_logger.settings.limits import is_personal_chat

# A placeholder left empty drops the spaces before it when what follows is a space, punctuation
# or the end, and a comma before it when punctuation or the end follows: with no name,
# "Hello {name}, ..." reads "Hello, ..." and "Thank you, {name}." reads "Thank you.".
_CLOSES = re.compile(r"^(\s|[,.;:!?)]|$)")
# A claimed reply is sent, then its replyId noted on the record; GREEN-API's webhook about that
# very message (outgoingAPIMessageReceived) can come in between. For this long after a claim, a
# message sent through the API that matches no replyId may still be the reply.
REPLY_NOTE_WINDOW = timedelta(seconds=30)


def reply_template(
    config: Config, call: CallNotification, last_reply_at: datetime | None, now: datetime
) -> str | None:
    """The template of the automatic reply to this call's caller, or None for no reply.

    A reply goes only to a person's chat, for a status in MISSED_CALL_REPLY_ON, while the call is
    fresh (MISSED_CALL_REPLY_MAX_AGE) and when the chat had no reply within
    MISSED_CALL_REPLY_COOLDOWN. With BUSINESS_HOURS, the call's local time picks the text:
    MISSED_CALL_REPLY inside the hours, MISSED_CALL_REPLY_AFTER_HOURS outside; an empty one
    means no reply then.
    """
    if not config.replies_configured or call.status not in config.reply_on:
        return None
    if not is_personal_chat(call.chat_id):
        return None
    if now - call.event_at > config.reply_max_age:
        return None
    if last_reply_at is not None and now - last_reply_at < config.reply_cooldown:
        return None
    hours = config.business_hours
    if hours is not None and not hours.is_open(call.event_at, config.timezone):
        return config.after_hours_template or None
    return config.reply_template or None


def notifies_operator(config: Config, call: CallNotification) -> bool:
    """Whether this recorded call is told to OPERATOR_CHAT_ID (checked at start: a person)."""
    return bool(config.operator_chat_id) and call.status in config.operator_notify_on


def render(template: str, call: CallNotification, name: str | None, label: str) -> str:
    """The template filled in: {name} (the caller's, may be unknown), {phone} (+digits, or the
    chat id when none can be derived), {chat_id} and {label}."""
    values = {
        "name": name or "",
        "phone": call.phone or call.chat_id,
        "chat_id": call.chat_id,
        "label": label,
    }
    pieces: list[str] = []
    formatter = Formatter()
    parts = list(formatter.parse(template))
    for index, (literal, field, spec, conversion) in enumerate(parts):
        pieces.append(literal)
        if field is None:
            continue
        value = formatter.format_field(
            formatter.convert_field(values[field], conversion), spec or ""
        )
        if not value:
            following = parts[index + 1][0] if index + 1 < len(parts) else ""
            if _CLOSES.match(following) and pieces:
                pieces[-1] = pieces[-1].rstrip(" ")
                if not following[:1].isspace():  # "call, {name}." reads "call."
                    pieces[-1] = pieces[-1].rstrip(",;: ")
        pieces.append(value)
    return re.sub(" {2,}", " ", "".join(pieces)).strip()


def reply_may_be_unnoted(last_reply_at: datetime | None, now: datetime) -> bool:
    """Whether the chat's last automatic reply may still be on its way to its note (replyId):
    it was claimed within REPLY_NOTE_WINDOW."""
    return last_reply_at is not None and now - last_reply_at <= REPLY_NOTE_WINDOW


def is_sent_reply(
    message: OutgoingMessage,
    reply_digest: str | None,
    last_reply_at: datetime | None,
    cooldown: timedelta,
) -> bool:
    """Whether a message sent through the API is the chat's automatic reply by its text: the
    same text as the reply claimed for the chat (its digest), within the cooldown of that claim.
    Independent of timing otherwise: the reply's webhook may come late (a stalled queue) and its
    replyId may never have been noted (a send that timed out and was delivered)."""
    if not message.via_api or message.text_digest is None or last_reply_at is None:
        return False
    apart = abs(message.event_at - last_reply_at)
    return message.text_digest == reply_digest and apart <= cooldown
