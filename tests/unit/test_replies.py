"""Which call gets an automatic reply, with which text, and the operator notice list. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from call_logger.core.notification import CallNotification
from call_logger.core.replies import notifies_operator, render, reply_template
from call_logger.settings.config import Config

CALLED_AT = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)  # a Monday
NOW = CALLED_AT + timedelta(minutes=1)


def call(status: str = "missed", chat_id: str = "79001234567@c.us", at: datetime = CALLED_AT):
    return CallNotification(1101000001, chat_id, "A1B2", status, int(at.timestamp()))


def config(**env: str) -> Config:
    return Config.from_env({"MISSED_CALL_REPLY": "Sorry we missed you"} | env)


def test_a_fresh_missed_call_from_a_person_gets_the_reply() -> None:
    assert reply_template(config(), call(), None, NOW) == "Sorry we missed you"


def test_off_without_a_template() -> None:
    assert reply_template(Config.from_env({}), call(), None, NOW) is None


@pytest.mark.parametrize("status", ["offer", "pickUp", "someNewStatus"])
def test_only_statuses_in_the_list(status: str) -> None:
    assert reply_template(config(), call(status), None, NOW) is None


def test_the_list_is_configurable() -> None:
    assert reply_template(config(MISSED_CALL_REPLY_ON="pickUp"), call("pickUp"), None, NOW)


@pytest.mark.parametrize(
    ("chat_id", "replied"),
    [
        ("79001234567@c.us", True),
        ("123456789012345@lid", True),
        ("120363000000000000@g.us", False),
        ("status@broadcast", False),
        ("79001234567@s.whatsapp.net", False),
        ("79001234567", False),
    ],
)
def test_only_personal_chats(chat_id: str, replied: bool) -> None:
    assert (reply_template(config(), call(chat_id=chat_id), None, NOW) is not None) is replied


@pytest.mark.parametrize(
    ("age", "replied"), [(timedelta(minutes=15), True), (timedelta(minutes=15, seconds=1), False)]
)
def test_max_age(age: timedelta, replied: bool) -> None:
    assert (reply_template(config(), call(), None, CALLED_AT + age) is not None) is replied


@pytest.mark.parametrize(
    ("since", "replied"), [(timedelta(hours=12), True), (timedelta(hours=11, minutes=59), False)]
)
def test_cooldown(since: timedelta, replied: bool) -> None:
    assert (reply_template(config(), call(), NOW - since, NOW) is not None) is replied


HOURS = {"BUSINESS_HOURS": "mon-fri 09:00-18:00", "TIMEZONE": "Asia/Tokyo"}


@pytest.mark.parametrize(
    ("called_at", "expected"),
    [
        (datetime(2026, 3, 30, 0, 0, tzinfo=UTC), "Sorry we missed you"),  # 09:00 in Tokyo
        (datetime(2026, 3, 29, 23, 59, tzinfo=UTC), "We are closed"),  # 08:59 in Tokyo
    ],
)
def test_business_hours_pick_the_text(called_at: datetime, expected: str) -> None:
    settings = config(MISSED_CALL_REPLY_AFTER_HOURS="We are closed", **HOURS)
    now = called_at + timedelta(minutes=1)
    assert reply_template(settings, call(at=called_at), None, now) == expected


def test_outside_hours_without_an_after_hours_text_no_reply() -> None:
    called_at = datetime(2026, 3, 29, 23, 59, tzinfo=UTC)
    assert reply_template(config(**HOURS), call(at=called_at), None, called_at) is None


def test_only_an_after_hours_text_replies_only_outside_hours() -> None:
    settings = Config.from_env({"MISSED_CALL_REPLY_AFTER_HOURS": "Closed", **HOURS})
    inside = datetime(2026, 3, 30, 1, 0, tzinfo=UTC)
    outside = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)
    assert reply_template(settings, call(at=inside), None, inside) is None
    assert reply_template(settings, call(at=outside), None, outside) == "Closed"


@pytest.mark.parametrize(
    ("template", "name", "expected"),
    [
        ("{label} from {name} {phone}", "Ivan Petrov", "Missed call from Ivan Petrov +79001234567"),
        ("{label} from {name} {phone}", None, "Missed call from +79001234567"),
        ("Hello {name}, sorry we missed you!", None, "Hello, sorry we missed you!"),
        ("Hello {name}!", None, "Hello!"),
        ("Hello {name}!", "Ivan", "Hello Ivan!"),
        ("Sorry we missed your call, {name}. Bye", None, "Sorry we missed your call. Bye"),
        ("Thank you, {name}", None, "Thank you"),
        ("Hi {name}\nBye", None, "Hi\nBye"),
        ("{name} {chat_id}", None, "79001234567@c.us"),
        ("{{literal}} {name}", "Ivan", "{literal} Ivan"),
    ],
)
def test_render(template: str, name: str | None, expected: str) -> None:
    assert render(template, call(), name, "Missed call") == expected


def test_render_without_a_phone_uses_the_chat_id() -> None:
    lid = call(chat_id="123456789012345@lid")
    assert render("{phone}", lid, None, "Missed call") == "123456789012345@lid"


def test_operator_notice_list() -> None:
    settings = Config.from_env(
        {"OPERATOR_CHAT_ID": "79000000001@c.us", "OPERATOR_NOTIFY_ON": "offer,missed"}
    )
    assert [notifies_operator(settings, call(s)) for s in ("offer", "missed", "pickUp")] == [
        True,
        True,
        False,
    ]
    assert not notifies_operator(Config.from_env({}), call("offer"))
