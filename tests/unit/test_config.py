"""Configuration from the environment, pure."""

from __future__ import annotations

from datetime import UTC, time, timedelta

import pytest
from call_logger.settings.config import Config, ConfigError
from call_logger.settings.parse import parse_duration


def test_an_empty_environment_gives_the_fields_defaults() -> None:
    # The defaults are Config's field defaults, written once; docs/configuration.md states them
    # (tests/unit/test_docs_configuration.py).
    assert Config.from_env({}) == Config()


def test_green_api_url_is_https_except_to_this_machine() -> None:
    https = Config.from_env({"GREEN_API_URL": "https://7105.api.greenapi.com/"})
    assert https.green_api_url == "https://7105.api.greenapi.com"
    for local in ("http://127.0.0.1:8080", "http://localhost:9000", "http://[::1]:8080"):
        assert Config.from_env({"GREEN_API_URL": local}).green_api_url == local
    assert Config.from_env({"LOG_LEVEL": "debug"}).log_level == "DEBUG"


def test_bad_mode_names_the_allowed_values() -> None:
    with pytest.raises(ConfigError, match="all, results, offer, ignore"):
        Config.from_env({"CALL_MODE": "everything"})


def test_labels_override_and_validation() -> None:
    config = Config.from_env({"CALL_LABELS": '{"missed": "Пропущенный"}'})
    assert config.labels["missed"] == "Пропущенный"
    assert config.labels["incoming"] == "Incoming call"
    for bad in ("[]", "{", '{"nope": "x"}', '{"missed": 3}'):
        with pytest.raises(ConfigError, match="CALL_LABELS"):
            Config.from_env({"CALL_LABELS": bad})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GREEN_API_ID_INSTANCE": "abc"}, "GREEN_API_ID_INSTANCE"),
        ({"RECORD_RETENTION_DAYS": "0"}, "RECORD_RETENTION_DAYS"),
        ({"ALLOW_UNAUTHENTICATED": "maybe"}, "ALLOW_UNAUTHENTICATED"),
        ({"CONTACT_CACHE_TTL": "soon"}, "CONTACT_CACHE_TTL"),
        ({"OPERATOR_MESSAGE_TEMPLATE": "{who}"}, "OPERATOR_MESSAGE_TEMPLATE"),
        ({"OPERATOR_MESSAGE_TEMPLATE": "{name.x}"}, "OPERATOR_MESSAGE_TEMPLATE"),
        ({"OPERATOR_MESSAGE_TEMPLATE": "{phone[0]}"}, "OPERATOR_MESSAGE_TEMPLATE"),
        ({"OPERATOR_MESSAGE_TEMPLATE": "{name!z}"}, "OPERATOR_MESSAGE_TEMPLATE"),
        ({"STORE": "sqlite"}, "STORE"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"TIMEZONE": "Europe"}, "TIMEZONE"),
        ({"CALLBACK_BY_MESSAGE": "sometimes"}, "CALLBACK_BY_MESSAGE"),
        ({"DIGEST_TIME": "9am"}, "DIGEST_TIME"),
        ({"DIGEST_TIME": "09:00"}, "DIGEST_TIME needs OPERATOR_CHAT_ID"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"LOG_CHAT_IDS": "some"}, "LOG_CHAT_IDS"),
        ({"GREEN_API_URL": "http://api.green-api.com"}, "https://"),
        ({"GREEN_API_URL": "api.green-api.com"}, "https://"),
        ({"GREEN_API_URL": "http://127.0.0.1.example.com"}, "https://"),
    ],
)
def test_bad_values_fail_at_start(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_env(env)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("24h", 86400), ("7d", 604800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_report_and_digest_settings() -> None:
    defaults = Config.from_env({})
    assert (defaults.timezone, defaults.callback_by_message, defaults.digest_time) == (
        UTC,
        True,
        None,
    )
    config = Config.from_env(
        {
            "TIMEZONE": "Europe/Moscow",
            "CALLBACK_BY_MESSAGE": "false",
            "DIGEST_TIME": "09:30",
            "OPERATOR_CHAT_ID": "79001234567@c.us",
        }
    )
    assert str(config.timezone) == "Europe/Moscow"
    assert (config.callback_by_message, config.digest_time) == (False, time(9, 30))


def test_reply_and_notice_defaults() -> None:
    config = Config.from_env({})
    assert not config.replies_configured
    assert config.reply_on == {"missed", "declined", "hungUp"}
    assert config.operator_notify_on == {"offer"}
    assert config.reply_cooldown == timedelta(hours=12)
    assert config.reply_max_age == timedelta(minutes=15)
    assert config.business_hours is None
    assert str(config.timezone) == "UTC"


def test_status_lists_are_normalised() -> None:
    config = Config.from_env(
        {"OPERATOR_NOTIFY_ON": "offer, missed,hangUp", "MISSED_CALL_REPLY_ON": "declined"}
    )
    assert config.operator_notify_on == {"offer", "missed", "hungUp"}
    assert config.reply_on == {"declined"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OPERATOR_NOTIFY_ON": "offer,rang"}, "OPERATOR_NOTIFY_ON must be a comma-separated"),
        ({"MISSED_CALL_REPLY_ON": "missed;declined"}, "MISSED_CALL_REPLY_ON must be a comma"),
        ({"MISSED_CALL_REPLY": "Hi {first_name}"}, r"MISSED_CALL_REPLY may use only \{name\}"),
        ({"MISSED_CALL_REPLY": "x" * 19_001}, "MISSED_CALL_REPLY is longer than"),
        ({"MISSED_CALL_REPLY_COOLDOWN": "half a day"}, "MISSED_CALL_REPLY_COOLDOWN: .* 15m"),
        ({"MISSED_CALL_REPLY_MAX_AGE": "0"}, "MISSED_CALL_REPLY_MAX_AGE must be more than zero"),
        ({"BUSINESS_HOURS": "9-18"}, "BUSINESS_HOURS must be .*mon-fri 09:00-18:00"),
        ({"BUSINESS_HOURS": "mon-fri 18:00-09:00"}, "the end is not after the start"),
        ({"BUSINESS_HOURS": "mon-fry 09:00-18:00"}, "'fry' .* is not one of mon"),
        ({"BUSINESS_HOURS": "mon 09:60-18:00"}, "09:60 .* is not a time of day"),
        ({"TIMEZONE": "Berlin"}, "TIMEZONE must be an IANA time zone name"),
        ({"TIMEZONE": "Europe"}, "TIMEZONE must be an IANA time zone name"),
        ({"MISSED_CALL_REPLY_AFTER_HOURS": "Closed"}, "_AFTER_HOURS needs BUSINESS_HOURS"),
        ({"OPERATOR_CHAT_ID": "120363000000000000@g.us"}, "never sent to a group"),
    ],
)
def test_bad_reply_settings_fail_at_start_naming_the_format(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_env(env)


def test_business_hours_and_zone() -> None:
    config = Config.from_env(
        {
            "BUSINESS_HOURS": "Mon-Fri 09:00-18:00,  sat 10:00-14:00",
            "TIMEZONE": "Europe/Berlin",
            "MISSED_CALL_REPLY_AFTER_HOURS": "We are closed",
        }
    )
    assert config.business_hours is not None
    assert config.business_hours.open[0] == ((540, 1080),)
    assert config.business_hours.open[5] == ((600, 840),)
    assert 6 not in config.business_hours.open
    assert str(config.timezone) == "Europe/Berlin"
    assert config.replies_configured  # the after-hours text alone turns replies on


def test_repr_shows_no_token() -> None:
    config = Config.from_env({"WEBHOOK_TOKEN": "hook-s3cret", "GREEN_API_TOKEN": "api-s3cret"})
    assert "s3cret" not in repr(config)
    assert "mode=" in repr(config)  # the rest is still shown
