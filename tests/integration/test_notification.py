"""Parsing and validating notification bodies, pure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from call_logger.core.envelope import BadBody, instance_id_of, parse_body
from call_logger.core.notification import Unrecordable, parse_call

from tests.conftest import sample


def offer(**changes: Any) -> dict[str, Any]:
    return sample("incoming-call-offer") | changes


def test_parse_sample() -> None:
    call = parse_call(offer())
    assert call.instance_id == 1101000001
    assert call.chat_id == "79001234567@c.us"
    assert call.phone == "+79001234567"
    assert call.chat_key == "1101000001_79001234567@c.us"
    assert call.record_key == "A1B2C3D4E5F60718293A4B5C6D7E8F90_offer"
    assert call.event_at == datetime(2025, 11, 25, 16, 0, tzinfo=UTC)


def test_both_spellings_are_one_status() -> None:
    assert parse_call(sample("incoming-call-hangup")).status == "hungUp"
    assert parse_call(sample("incoming-call-hungup")).status == "hungUp"


@pytest.mark.parametrize(
    ("chat_id", "phone"),
    [("79001234567@c.us", "+79001234567"), ("123456789012345@lid", None), ("1@g.us", None)],
)
def test_phone_only_for_person_ids(chat_id: str, phone: str | None) -> None:
    assert parse_call(offer(**{"from": chat_id})).phone == phone


@pytest.mark.parametrize(
    "raw", [b"", b"[]", b"null", b'"x"', b"{", b"\xff\xfe", b"[" * 100_000, b"1" * 5000]
)
def test_bad_bodies(raw: bytes) -> None:
    with pytest.raises(BadBody):
        parse_body(raw)


@pytest.mark.parametrize(
    "changes",
    [
        {"from": None},
        {"from": ""},
        {"from": 79001234567},
        {"status": None},
        {"status": ["offer"]},
        {"idMessage": 5},
        {"timestamp": "1764086400"},
        {"timestamp": 1764086400.5},
        {"timestamp": True},
        {"timestamp": 10**12},
        {"timestamp": -(10**12)},
        {"instanceData": None},
        {"instanceData": {"idInstance": "1101000001"}},
        {"from": "a/b@c.us"},
        {"idMessage": "__x", "status": "y__"},
        {"idMessage": "x" * 1500},
        {"from": "\ud800@c.us"},
    ],
)
def test_unrecordable_calls(changes: dict[str, Any]) -> None:
    with pytest.raises(Unrecordable):
        parse_call(offer(**changes))


def test_instance_id_is_read_only_when_an_integer() -> None:
    assert instance_id_of({"instanceData": {"idInstance": 7}}) == 7
    assert instance_id_of({"instanceData": {"idInstance": True}}) is None
    assert instance_id_of({"instanceData": []}) is None
