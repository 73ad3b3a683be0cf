"""The bad bodies hypothesis throws at the webhook: wrong types, odd ids, number literals Python
reads specially, duplicate keys, deep nesting and huge strings (tests/reliability/test_bad_input.py
sends them)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.conftest import sample
from tests.reliability.bad_input_oracle import MAX_BODY, MAX_TIMESTAMP, MIN_TIMESTAMP

MISSING = object()

CALL = sample("incoming-call-offer")
FIELDS = (
    "typeWebhook",
    "instanceData",
    "instanceData.idInstance",
    "instanceData.wid",
    "instanceData.typeInstance",
    "from",
    "status",
    "timestamp",
    "idMessage",
)
ODD = (
    "\x00",
    "\x01",
    "\x1f",
    "\x7f",
    "\u200f",  # right-to-left mark
    "\u202e",  # right-to-left override
    "\ufeff",
    "😀",
    "👩\u200d👩\u200d👧",
    "/",
    "__",
    "__x__",
    "\ud800",  # lone surrogates: JSON \ud800 escapes
    "\udfff",
    "\ud83d",
    "\ude00",
    ".",
    "..",
    "@c.us",
    "@lid",
    "79001234567",
    "\n",
    '"',
    "\\",
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**62, max_value=2**70),
    st.floats(),  # NaN and ±Infinity are written as Python writes them
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
odd_text = st.lists(st.sampled_from(ODD) | st.text(max_size=4), max_size=6).map("".join)


def encode(value: Any, ascii_only: bool) -> bytes:
    if not ascii_only:
        try:
            return json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: only an escape can carry it
            pass
    return json.dumps(value).encode()


def replace(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    *parents, name = path.split(".")
    target = body
    for parent in parents:
        if not isinstance(target.get(parent), dict):
            target[parent] = {}
        target = target[parent]
    if value is MISSING:
        target.pop(name, None)
    else:
        target[name] = value
    return body


@st.composite
def wrong_types(draw: st.DrawFn) -> bytes:
    """An incomingCall with one to three fields missing or of any JSON type."""
    body = dict(CALL)
    for path in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True)):
        body = replace(body, path, draw(st.just(MISSING) | json_values))
    return encode(body, draw(st.booleans()))


@st.composite
def odd_ids(draw: st.DrawFn) -> bytes:
    """A well-formed incomingCall whose from (and sometimes idMessage or status) is odd text."""
    body = dict(CALL) | {"from": draw(odd_text)}
    if draw(st.booleans()):
        body["idMessage"] = draw(odd_text)
    if draw(st.booleans()):
        body["status"] = draw(st.sampled_from(["offer", "hangUp", "pickUp", "__"]) | odd_text)
    return encode(body, draw(st.booleans()))


NUMBER_TOKENS = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-0",
    "1.0",
    "1764086400.0",
    "1E3",
    str(2**63 - 1),
    str(2**63),
    str(-(2**63)),
    str(-(2**63) - 1),
    str(2**64),
    str(MAX_TIMESTAMP),
    str(MAX_TIMESTAMP + 1),
    str(MIN_TIMESTAMP),
    str(MIN_TIMESTAMP - 1),
    "9" * 4300,
    "9" * 4301,
    "-" + "9" * 6000,
    "1" * 50_000,
)


@st.composite
def raw_numbers(draw: st.DrawFn) -> bytes:
    """An incomingCall or an ignored notification written by hand: number literals Python reads
    specially (NaN, Infinity, ints past 64 bits and past its int() digit limit), numbers where
    strings belong, and duplicate keys (the last one counts, as in most JSON readers)."""
    base = dict(CALL) if draw(st.booleans()) else sample("incoming-message")
    pairs = [(key, json.dumps(value)) for key, value in base.items()]
    for _ in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from([*FIELDS[:2], *FIELDS[5:], "extra"]))
        token = draw(st.sampled_from(NUMBER_TOKENS))
        if draw(st.booleans()) and key == "instanceData":
            token = '{"idInstance": ' + token + "}"
        pairs.insert(draw(st.integers(0, len(pairs))), (key, token))
    return ("{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}").encode()


@st.composite
def shapes(draw: st.DrawFn) -> bytes:
    """Deep nesting (well inside and far beyond the JSON reader's limit) and huge strings."""
    kind = draw(st.sampled_from(["deep", "deeper", "huge from", "huge extra", "huge ignored"]))
    if kind in ("deep", "deeper"):
        depth = draw(st.integers(1, 200) if kind == "deep" else st.integers(20_000, 200_000))
        nested = "[" * depth + "]" * depth
        if draw(st.booleans()):
            nested = '{"a": ' + nested + "}"
        call = json.dumps(CALL)
        return (call[:-1] + ', "extra": ' + nested + "}").encode()
    size = draw(st.sampled_from([1_000, 1_600, 100_000, 1_000_000, MAX_BODY]))
    filler = draw(st.sampled_from(["x", "я", "😀", "\x00"])) * (size // 4)
    if kind == "huge from":
        return encode(CALL | {"from": filler + "@c.us"}, draw(st.booleans()))
    base = CALL if kind == "huge extra" else sample("incoming-message")
    return encode(base | {"extra": filler}, draw(st.booleans()))
