"""GREEN-API's documented limits and spellings that settings and options are checked against
(PROTOCOL.md), written once. Standard library only: the configuration and the command line read
them before any HTTP client is loaded."""

from __future__ import annotations

# receiveNotification holds a request 5 to 60 s; the poller asks for 20 at least, so that an idle
# instance costs three requests a minute rather than twelve.
RECEIVE_TIMEOUT_RANGE = (20, 60)
DEFAULT_RECEIVE_TIMEOUT = 20
# sendMessage takes at most 20,000 characters.
SEND_MESSAGE_MAX_CHARS = 20_000

# GREEN-API's SDKs spell the "not answered" status hangUp, its documentation hungUp.
CANONICAL_STATUS = {"hangUp": "hungUp"}
# Statuses that are one outcome of a call: GREEN-API's newest docs retire `missed` for
# `declined` (the caller gave up), so a webhook's `missed` and a journal's `declined` are one call.
# `hungUp` (the called side dropped it) stays its own outcome.
SAME_OUTCOME = {"declined": "missed"}

# Chat id domains of a single person (a group is @g.us; anything else is not a person either).
PERSONAL_DOMAINS = ("c.us", "lid")


def canonical_status(status: str) -> str:
    """The one spelling a status is stored, labelled and compared under."""
    return CANONICAL_STATUS.get(status, status)


def outcome(status: str) -> str:
    """What a (stored or received) status means for matching one call to another: the canonical
    status, with `declined` and `missed` as one."""
    canonical = canonical_status(status)
    return SAME_OUTCOME.get(canonical, canonical)


def is_personal_chat(chat_id: str) -> bool:
    """A person's chat (`<digits>@c.us` or `<id>@lid`): the only kind a message is sent to."""
    number, at, domain = chat_id.partition("@")
    return (
        bool(number)
        and at == "@"
        and domain in PERSONAL_DOMAINS
        and number.isascii()
        and number.isdigit()
    )
