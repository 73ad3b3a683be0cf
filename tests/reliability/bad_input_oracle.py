"""Where a body sent to the webhook must end: a record, `rejected`, or nowhere, with its answer.
Written from docs/reliability.md and Firestore's documented limits, not from the code under test
(tests/reliability/test_bad_input.py checks the function against it)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from tests.support.label_table import canonical, expected_label

MODE = "all"
MAX_BODY = 1024 * 1024
MIN_TIMESTAMP, MAX_TIMESTAMP = -62135596800, 253402300799  # 0001-01-01 .. 9999-12-31 (UTC)
INT64 = (-(2**63), 2**63 - 1)  # a Firestore integer
MAX_ID_BYTES = 1500
REJECTED_BODY_BYTES = 900_000


class _Unreadable:
    """A JSON integer too long for Python's int(): a number, but not one anything can hold."""

    def __init__(self, digits: str) -> None:
        self.digits = digits


def _int(digits: str) -> int | _Unreadable:
    try:
        return int(digits)
    except ValueError:
        return _Unreadable(digits)


@dataclass(frozen=True)
class Expected:
    status: int
    place: str | None = None  # the document path it must create (None: nowhere)
    label: str | None = None
    call: tuple[str, str, str] | None = None  # chatId, callId, status of a record


def oracle(raw: bytes) -> Expected:
    if len(raw) > MAX_BODY:
        return Expected(413)
    try:
        body = json.loads(raw.decode("utf-8"), parse_int=_int)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested beyond the parser
        return Expected(400)
    if type(body) is not dict:
        return Expected(400)
    # stateInstanceChanged (instances/…) has its own tests; the bodies here never carry it.
    if body.get("typeWebhook") != "incomingCall":
        return Expected(200)
    # Kept under a hash of the content in canonical JSON, whatever bytes it came as.
    # (A number past int()'s digit limit is hashed as the text of its digits.)
    content = json.dumps(
        body,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=lambda unreadable: unreadable.digits,
    )
    digest = hashlib.sha256(content.encode("utf-8", errors="surrogatepass")).hexdigest()
    rejected = Expected(200, f"rejected/{digest}")
    data = body.get("instanceData")
    instance = data.get("idInstance") if type(data) is dict else None
    chat_id, call_id, status = body.get("from"), body.get("idMessage"), body.get("status")
    timestamp = body.get("timestamp")
    if type(instance) is not int or not INT64[0] <= instance <= INT64[1]:
        return rejected
    if not all(type(text) is str and text for text in (chat_id, call_id, status)):
        return rejected
    if type(timestamp) is not int or not MIN_TIMESTAMP <= timestamp <= MAX_TIMESTAMP:
        return rejected
    assert isinstance(chat_id, str) and isinstance(call_id, str) and isinstance(status, str)
    status = canonical(status)
    chat_key, record_key = f"{instance}_{chat_id}", f"{call_id}_{status}"
    for key in (chat_key, record_key):
        # Firestore document ids: UTF-8, at most 1,500 bytes, no '/', not __name__.
        if "/" in key or re.fullmatch("__.*__", key, re.DOTALL):
            return rejected
        try:
            if len(key.encode("utf-8")) > MAX_ID_BYTES:
                return rejected
        except UnicodeEncodeError:
            return rejected
    label = expected_label(MODE, status)
    assert label is not None  # mode `all` keeps every status
    return Expected(
        200, f"chats/{chat_key}/records/{record_key}", label, (chat_id, call_id, status)
    )
