"""EVENTS_URL and EVENTS_SECRET as the configuration keeps them: where an instance's events go
and the key they are signed with (docs/events.md). Pure, standard library only."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

# Standard Webhooks secrets: "whsec_" and base64 of 24 to 64 random bytes.
SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64


def secret_problem(secret: str) -> str | None:
    """Why EVENTS_SECRET cannot sign (None: it can). Never quotes the secret."""
    if not secret.startswith(SECRET_PREFIX):
        return f"must start with {SECRET_PREFIX} (the Standard Webhooks form)"
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        return f"must be {SECRET_PREFIX} followed by base64"
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        return f"must hold {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes (base64 after whsec_)"
    return None


@dataclass(frozen=True)
class Receiver:
    """Where an instance's events go (EVENTS_URL) and the key they are signed with."""

    # Neither in a log line or traceback: a receiver's URL often carries a token of its own.
    url: str = field(repr=False)
    secret: str = field(repr=False)
