"""Configuration from the environment, pure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from call_logger.config import Config, ConfigError, Mode, parse_duration


def test_defaults() -> None:
    config = Config.from_env({})
    assert config.mode is Mode.ALL
    assert config.webhook_token == ""
    assert not config.allow_unauthenticated
    assert config.database == "(default)"
    assert config.retention_days is None
    assert config.contact_cache_ttl == timedelta(hours=24)


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


def test_repr_shows_no_token() -> None:
    config = Config.from_env({"WEBHOOK_TOKEN": "hook-s3cret", "GREEN_API_TOKEN": "api-s3cret"})
    assert "s3cret" not in repr(config)
    assert "mode=" in repr(config)  # the rest is still shown
