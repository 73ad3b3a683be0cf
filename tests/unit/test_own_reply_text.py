"""Our reply known by its text: the digest kept on the chat with the claim, and the rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from call_logger.core.notification import OutgoingMessage, message_digest, parse_outgoing_message
from call_logger.core.replies import is_sent_reply

CLAIMED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
COOLDOWN = timedelta(hours=12)
TEXT = "Sorry we missed your call."
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "outgoing-message-received.json"


def sent(text: str | None, after: timedelta, via_api: bool = True) -> OutgoingMessage:
    digest = None if text is None else message_digest(text)
    at = int((CLAIMED + after).timestamp())
    return OutgoingMessage(1101000001, "79001234567@c.us", "ID", at, via_api, digest)


@pytest.mark.parametrize(
    ("message", "ours"),
    [
        (sent(TEXT, timedelta(hours=3)), True),  # late, long after any look-again
        (sent(TEXT + " ", timedelta(seconds=1)), True),  # GREEN-API's trailing space
        (sent(TEXT, COOLDOWN + timedelta(seconds=1)), False),  # past the cooldown: a person
        (sent("Calling you back now", timedelta(seconds=1)), False),
        (sent(TEXT, timedelta(seconds=1), via_api=False), False),  # typed on the phone
        (sent(None, timedelta(seconds=1)), False),  # no text (an image)
    ],
)
def test_the_reply_is_its_text_within_the_cooldown(message: OutgoingMessage, ours: bool) -> None:
    assert is_sent_reply(message, message_digest(TEXT), CLAIMED, COOLDOWN) is ours
    assert not is_sent_reply(message, None, CLAIMED, COOLDOWN)  # no reply was claimed


def test_the_text_of_a_plain_or_a_link_message_is_read_as_its_digest() -> None:
    body = json.loads(SAMPLE.read_text())
    text = body["messageData"]["textMessageData"]["textMessage"]
    plain = parse_outgoing_message(body)
    assert plain is not None and plain.text_digest == message_digest(text)
    linked = body | {"messageData": {"extendedTextMessageData": {"text": text}}}
    assert (found := parse_outgoing_message(linked)) and found.text_digest == plain.text_digest
    image = body | {"messageData": {"typeMessage": "imageMessage"}}
    assert (found := parse_outgoing_message(image)) and found.text_digest is None
    assert len(message_digest(text)) == 64 and text not in message_digest(text)
