"""GREEN-API's documented limits that settings and options are checked against (PROTOCOL.md),
written once. Standard library only: the configuration and the command line read them before any
HTTP client is loaded."""

from __future__ import annotations

# receiveNotification holds a request 5 to 60 s; the poller asks for 20 at least, so that an idle
# instance costs three requests a minute rather than twelve.
RECEIVE_TIMEOUT_RANGE = (20, 60)
DEFAULT_RECEIVE_TIMEOUT = 20
# sendMessage takes at most 20,000 characters.
SEND_MESSAGE_MAX_CHARS = 20_000
