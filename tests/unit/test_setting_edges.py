"""Settings at their edges are refused at start with one line: durations and retention past
100 years, DIGEST_TIME with an offset, an instance map entry with plain http to another host."""

from __future__ import annotations

from datetime import timedelta

import pytest
from call_logger.settings.config import Config, ConfigError
from call_logger.settings.parse import MAX_DAYS, parse_duration

from tests.support.instances import entry, instances_env


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"CONTACT_CACHE_TTL": "99999999999999d"},
            "CONTACT_CACHE_TTL: '99999999999999d' is longer",
        ),
        ({"RECONCILE_MAX_CALL": "36501d"}, "RECONCILE_MAX_CALL: '36501d' is longer than 36500d"),
        ({"CONTACT_LOOKUP_BUDGET": "99999999999999d"}, "CONTACT_LOOKUP_BUDGET: "),
        ({"RECORD_RETENTION_DAYS": "36501"}, "RECORD_RETENTION_DAYS must be at most 36500"),
        ({"RECORD_RETENTION_DAYS": "9" * 5000}, "RECORD_RETENTION_DAYS must be"),
        (
            {"DIGEST_TIME": "09:00+03:00", "OPERATOR_CHAT_ID": "79000000001@c.us"},
            "DIGEST_TIME is a local time in TIMEZONE",
        ),
    ],
)
def test_overflowing_settings_are_refused_in_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Config.from_env(env)
    text = str(refused.value)
    assert message in text and "\n" not in text and len(text) < 300


def test_the_longest_settings_still_work() -> None:
    config = Config.from_env(
        {"RECORD_RETENTION_DAYS": str(MAX_DAYS), "CONTACT_CACHE_TTL": "36500d"}
    )
    assert config.retention_days == MAX_DAYS
    assert config.contact_cache_ttl == timedelta(days=MAX_DAYS)
    with pytest.raises(ValueError, match="longer than 36500d"):
        parse_duration("99999999999999d")  # what every --since says too


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://7105.api.greenapi.com", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:9000/", True),
        ("http://[::1]:8080", True),
        ("http://7105.api.greenapi.com", False),  # the token would travel in clear text
        ("http://127.0.0.1.example.com", False),
    ],
)
def test_an_instance_map_entry_is_https_except_to_this_machine(url: str, allowed: bool) -> None:
    env = instances_env({1101000001: entry("t0ken", url)})
    if allowed:
        assert Config.from_env(env).instances.by_id[1101000001].api_url == url.rstrip("/")
        return
    with pytest.raises(ConfigError, match=r"\[1101000001\]\.apiUrl must be an https:// URL"):
        Config.from_env(env)


def test_a_map_of_one_is_an_instance_map_the_single_settings_are_not() -> None:
    one = Config.from_env(instances_env({1101000001: entry("t0ken")}))
    single = Config.from_env({"GREEN_API_ID_INSTANCE": "1101000001", "GREEN_API_TOKEN": "t"})
    assert one.instance_map and not single.instance_map
    assert len(one.instances) == len(single.instances) == 1
