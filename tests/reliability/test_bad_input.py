"""Bad input: hypothesis throws thousands of bodies at the deployed app (Flask test client, real
emulator). Never a 5xx, never an exception out of the handler, and every body ends in exactly
one place: a record, `rejected`, or nowhere. Where it should end is decided by an oracle written
here from docs/reliability.md and Firestore's documented limits, not by the code under test."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from google.cloud import firestore
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import TOKEN, AppFactory, documents, post, sample
from tests.reliability.harness import LiveServer, report
from tests.support.label_table import canonical, expected_label

MODE = "all"
MAX_BODY = 1024 * 1024
MIN_TIMESTAMP, MAX_TIMESTAMP = -62135596800, 253402300799  # 0001-01-01 .. 9999-12-31 (UTC)
INT64 = (-(2**63), 2**63 - 1)  # a Firestore integer
MAX_ID_BYTES = 1500
REJECTED_BODY_BYTES = 900_000
MISSING = object()
PROFILE = settings.get_profile("reliability")


# -- the oracle -------------------------------------------------------------------------------


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


# -- bodies -----------------------------------------------------------------------------------

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


# -- the test ---------------------------------------------------------------------------------


class Ledger:
    """Every body sent, where it should end, and the check that it is there."""

    def __init__(self, client: FlaskClient, db: firestore.Client) -> None:
        self.client = client
        self.db = db
        self.places: set[str] = set()
        self.counts: Counter[str] = Counter()
        # Each rejected place's first body: one content sent as other bytes is kept once.
        self.first_rejected: dict[str, bytes] = {}

    def send(self, raw: bytes) -> None:
        expected = oracle(raw)
        answer = post(self.client, raw)
        self.counts["bodies"] += 1
        self.counts[f"answer_{answer.status_code}"] += 1
        assert answer.status_code == expected.status, (raw[:300], answer.get_data()[:300])
        if expected.place is None:
            self.counts["nowhere"] += 1
            return
        doc = self.db.document(expected.place).get()
        assert doc.exists, expected.place[:300]
        fields = doc.to_dict() or {}
        if expected.label is None:
            self.counts["rejected"] += 1
            first = self.first_rejected.setdefault(expected.place, raw)
            assert fields["body"] == first[:REJECTED_BODY_BYTES].decode("utf-8", errors="ignore")
        else:
            self.counts["records"] += 1
            assert fields["label"] == expected.label
            assert (fields["chatId"], fields["callId"], fields["status"]) == expected.call
        self.places.add(expected.place)

    def check_nothing_else(self) -> None:
        chats = {place.split("/records/")[0] for place in self.places if "/records/" in place}
        assert set(documents(self.db)) == self.places | chats


@pytest.fixture
def ledger(
    make_app: AppFactory, db: firestore.Client, caplog: pytest.LogCaptureFixture
) -> Iterator[Ledger]:
    caplog.set_level(logging.WARNING)
    ledger = Ledger(make_app(CALL_MODE=MODE, STORE_TIMEOUT="10"), db)
    yield ledger
    ledger.check_nothing_else()
    # An exception out of the handler is logged by Flask; one inside it by the webhook (503).
    errors = [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


STRATEGIES: dict[str, tuple[Callable[[], st.SearchStrategy[bytes]], int]] = {
    "random bytes": (lambda: st.binary(max_size=400), 300),
    "any JSON": (lambda: json_values.map(lambda value: encode(value, True)), 300),
    "wrong types": (wrong_types, 600),
    "odd ids": (odd_ids, 700),
    "number literals and duplicate keys": (raw_numbers, 300),
    "nesting and huge strings": (shapes, 40),
}


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_every_body_ends_in_exactly_one_place(ledger: Ledger, name: str) -> None:
    strategy, examples = STRATEGIES[name]

    @settings(PROFILE, max_examples=examples)
    @given(strategy())
    def check(raw: bytes) -> None:
        ledger.send(raw)

    check()
    report(f"bad input ({name})", **dict(sorted(ledger.counts.items())))


def test_far_timestamps_with_retention_are_recorded(
    make_app: AppFactory, db: firestore.Client
) -> None:
    """RECORD_RETENTION_DAYS pushes expireAt past year 9999 for late timestamps: still recorded."""
    client = make_app(RECORD_RETENTION_DAYS="36500", STORE_TIMEOUT="10")
    latest = datetime.max.replace(tzinfo=UTC)

    @settings(PROFILE, max_examples=60)
    @given(st.integers(MIN_TIMESTAMP, MAX_TIMESTAMP) | st.sampled_from([MAX_TIMESTAMP, 0]))
    def check(timestamp: int) -> None:
        body = CALL | {"timestamp": timestamp, "idMessage": f"T{timestamp}"}
        assert post(client, body).status_code == 200
        doc = db.document(f"chats/1101000001_{CALL['from']}/records/T{timestamp}_offer").get()
        event_at = datetime.fromtimestamp(timestamp, UTC)
        expire_at = (
            event_at + timedelta(days=36500)
            if event_at <= latest - timedelta(days=36500)
            else latest
        )
        assert doc.get("expireAt") == expire_at

    check()


def test_ten_megabytes_answer_413_with_or_without_a_length(
    make_app: AppFactory, db: firestore.Client
) -> None:
    body = b'{"typeWebhook": "incomingCall", "x": "' + b"x" * (10 * MAX_BODY) + b'"}'
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with LiveServer(make_app().application) as server:
        assert requests.post(server.url, data=body, headers=headers, timeout=60).status_code == 413

        def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse it by
            for start in range(0, len(body), 65536):
                yield body[start : start + 65536]

        try:
            answer = requests.post(server.url, data=chunks(), headers=headers, timeout=60)
            status: int | None = answer.status_code
        except requests.ConnectionError:
            status = None  # the server may answer and close before the upload ends
        assert status in (413, None)
    assert documents(db) == {}
    report("bad input (10 MB body)", answers_413="with and without Content-Length")


LAST_TIMESTAMP = json.dumps({k: v for k, v in CALL.items() if k != "timestamp"} | {"timestamp": 0})


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        # Found by this suite: a valid JSON object answered 400 (a 24-h stall of the instance).
        (b'{"typeWebhook": "deviceInfo", "n": ' + b"9" * 5000 + b"}", "nowhere"),
        (json.dumps(CALL)[:-1].encode() + b', "n": -' + b"9" * 5000 + b"}", "record"),
        (LAST_TIMESTAMP[:-2].encode() + b"9" * 4301 + b"}", "rejected"),
        # Found by this suite: an id past 64 bits answered 503 forever instead of `rejected`.
        (json.dumps(CALL | {"instanceData": {"idInstance": 2**63}}).encode(), "rejected"),
        (json.dumps(CALL | {"instanceData": {"idInstance": -(2**63) - 1}}).encode(), "rejected"),
        (json.dumps(CALL | {"instanceData": {"idInstance": 2**63 - 1}}).encode(), "record"),
    ],
)
def test_regressions(ledger: Ledger, raw: bytes, where: str) -> None:
    expected = oracle(raw)
    assert (expected.place is None, expected.label is None) == {
        "nowhere": (True, True),
        "record": (False, False),
        "rejected": (False, True),
    }[where]
    ledger.send(raw)
