"""The instance map (GREEN_API_INSTANCES) and its place in Config: parsing, validation, lookup."""

from __future__ import annotations

import json
from typing import Any

import pytest
from call_logger.settings import instances
from call_logger.settings.config import Config, ConfigError
from call_logger.settings.instances import InstanceError

TOKEN_A = "tokenA-0123456789abcdef"
TOKEN_B = "tokenB-fedcba9876543210"


def entry(token: str = TOKEN_A, **extra: Any) -> dict[str, Any]:
    return {"apiUrl": "https://7105.api.greenapi.com/", "apiTokenInstance": token, **extra}


def two() -> dict[str, Any]:
    return {
        "1101000001": entry(TOKEN_A, label="Shop", operatorChatId="79000000001@c.us"),
        "1101000002": entry(TOKEN_B),
    }


def test_parse_keys_the_instances_by_id() -> None:
    parsed = instances.parse(json.dumps(two()))
    shop = parsed.get(1101000001)
    assert shop is not None
    assert (shop.api_url, shop.token, shop.label) == (
        "https://7105.api.greenapi.com",
        TOKEN_A,
        "Shop",
    )
    assert shop.settings == {"OPERATOR_CHAT_ID": "79000000001@c.us"}
    assert shop.name == "Shop (1101000001)"
    assert [instance.id for instance in parsed] == [1101000001, 1101000002]
    assert parsed.label_of(1101000002) == "" and parsed.label_of(7) == ""


def test_the_map_is_the_allow_list() -> None:
    parsed = instances.parse(json.dumps(two()))
    assert parsed.allows(1101000001) and parsed.allows(1101000002)
    assert not parsed.allows(1101000003)
    assert parsed.get(1101000003) is None


def test_the_map_cannot_be_changed_after_start() -> None:
    parsed = instances.parse(json.dumps(two()))
    with pytest.raises(TypeError):
        parsed.by_id[1101000003] = parsed.by_id[1101000001]  # type: ignore[index]


def test_null_is_not_set() -> None:
    # Terraform's jsonencode writes an unset optional attribute as null.
    parsed = instances.parse(json.dumps({"5": entry(label=None, operatorChatId=None)}))
    instance = parsed.get(5)
    assert instance is not None and (instance.label, dict(instance.settings)) == ("", {})


def test_single_instance_settings_are_a_map_of_one() -> None:
    one = instances.single(1101000001, "https://api.green-api.com/", TOKEN_A)
    assert len(one) == 1 and one.restricted
    assert one.allows(1101000001) and not one.allows(1101000002)
    none = instances.single(None, "https://api.green-api.com", "")
    assert len(none) == 0 and none.allows(1101000002)  # no id: every instance, as before


BAD: dict[str, tuple[str, str]] = {
    "not json": ("{", "JSON object keyed by idInstance"),
    "array": ("[]", "non-empty JSON object"),
    "empty": ("{}", "non-empty JSON object"),
    "id not a number": (json.dumps({"shop": entry()}), "'shop' is not an idInstance"),
    "id with a leading zero": (json.dumps({"0110": entry()}), "is not an idInstance"),
    "id too big": (json.dumps({"9" * 19: entry()}), "is not an idInstance"),
    "entry not an object": (json.dumps({"1": "token"}), "[1] must be a JSON object"),
    "unknown key": (json.dumps({"1": entry(token="x" * 8, colour="red")}), "unknown key 'colour'"),
    "not a string": (json.dumps({"1": entry(label=5)}), "[1].label must be a string"),
    "no token": (json.dumps({"1": {"apiUrl": "https://a.b"}}), "[1] needs apiTokenInstance"),
    "no url": (json.dumps({"1": {"apiTokenInstance": "t0k3n"}}), "[1] needs apiUrl"),
    "bad url": (json.dumps({"1": entry(apiUrl="api.green-api.com")}), "[1].apiUrl must be"),
    "token with a slash": (json.dumps({"1": entry(token="ab/cd")}), "must not contain"),
    "long label": (json.dumps({"1": entry(label="x" * 101)}), "longer than 100"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_map_is_refused_naming_where(case: str) -> None:
    text, message = BAD[case]
    with pytest.raises(InstanceError, match=message.replace("[", r"\[").replace("(", r"\(")):
        instances.parse(text)


def test_errors_never_show_a_token() -> None:
    text = json.dumps({"1": entry(token="secret token with spaces")})
    with pytest.raises(InstanceError) as caught:
        instances.parse(text)
    assert "secret" not in str(caught.value)


# --- in Config ---------------------------------------------------------------------------------


def test_config_reads_the_map_and_each_instance_its_own_settings() -> None:
    config = Config.from_env(
        {"GREEN_API_INSTANCES": json.dumps(two()), "OPERATOR_CHAT_ID": "79000000009@c.us"}
    )
    assert [instance.id for instance in config.instances] == [1101000001, 1101000002]
    assert config.settings_for(1101000001).operator_chat_id == "79000000001@c.us"
    # No setting of its own: the deployment's.
    assert config.settings_for(1101000002) is config
    assert config.settings_for(1101000002).operator_chat_id == "79000000009@c.us"
    assert config.instance_id is None and config.green_api_token == ""


def test_config_keeps_the_single_instance_settings_as_a_map_of_one() -> None:
    config = Config.from_env({"GREEN_API_ID_INSTANCE": "1101000001", "GREEN_API_TOKEN": TOKEN_A})
    (instance,) = config.instances
    assert (instance.id, instance.api_url, instance.token) == (
        1101000001,
        "https://api.green-api.com",
        TOKEN_A,
    )
    assert config.instances.restricted


@pytest.mark.parametrize("single", ["GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN", "GREEN_API_URL"])
def test_both_ways_at_once_are_a_configuration_error(single: str) -> None:
    values = {
        "GREEN_API_ID_INSTANCE": "1",
        "GREEN_API_TOKEN": "t0k3n",
        "GREEN_API_URL": "https://a",
    }
    with pytest.raises(ConfigError, match=f"GREEN_API_INSTANCES is set, and so is {single}"):
        Config.from_env({"GREEN_API_INSTANCES": json.dumps(two()), single: values[single]})


def test_a_blank_operator_chat_turns_notices_off_for_that_instance() -> None:
    text = json.dumps({"1101000001": entry(operatorChatId=" "), "1101000002": entry()})
    config = Config.from_env({"GREEN_API_INSTANCES": text, "OPERATOR_CHAT_ID": "79000000009@c.us"})
    assert config.settings_for(1101000001).operator_chat_id == ""
    assert config.settings_for(1101000002).operator_chat_id == "79000000009@c.us"


def test_a_bad_map_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="GREEN_API_INSTANCES must be a JSON object"):
        Config.from_env({"GREEN_API_INSTANCES": "not json"})


def test_no_token_in_the_repr_of_a_config() -> None:
    config = Config.from_env({"GREEN_API_INSTANCES": json.dumps(two())})
    shown = repr(config) + repr(config.instances) + repr(list(config.instances))
    assert TOKEN_A not in shown and TOKEN_B not in shown
    assert "1101000001" in repr(list(config.instances))


def test_an_instance_as_a_deployment_of_one() -> None:
    config = Config.from_env({"GREEN_API_INSTANCES": json.dumps(two())})
    shop = config.for_instance(1101000001)
    assert (shop.instance_id, shop.green_api_url, shop.green_api_token) == (
        1101000001,
        "https://7105.api.greenapi.com",
        TOKEN_A,
    )
    assert shop.operator_chat_id == "79000000001@c.us"
    assert [instance.id for instance in shop.instances] == [1101000001]
    assert not shop.instances.allows(1101000002)
    with pytest.raises(KeyError):
        config.for_instance(1101000003)


def test_a_bad_instance_setting_stops_the_start_naming_the_instance() -> None:
    text = json.dumps({"1101000001": entry(operatorChatId="120363000000000000@g.us")})
    with pytest.raises(ConfigError) as caught:
        Config.from_env({"GREEN_API_INSTANCES": text})
    message = str(caught.value)
    assert message.startswith("GREEN_API_INSTANCES[1101000001] (operatorChatId): OPERATOR_CHAT_ID")
    assert TOKEN_A not in message


def test_each_instance_may_have_its_own_reply_hours_and_time_zone() -> None:
    text = json.dumps(
        {
            "1101000001": entry(
                missedCallReply="Sorry, {name}!",
                missedCallReplyAfterHours="Closed now.",
                businessHours="mon-fri 09:00-18:00",
                timezone="Europe/Berlin",
            ),
            "1101000002": entry(TOKEN_B),
        }
    )
    config = Config.from_env({"GREEN_API_INSTANCES": text, "TIMEZONE": "Asia/Tokyo"})
    own, default = config.settings_for(1101000001), config.settings_for(1101000002)
    assert (own.reply_template, own.after_hours_template) == ("Sorry, {name}!", "Closed now.")
    assert str(own.timezone) == "Europe/Berlin" and own.business_hours is not None
    assert (default.reply_template, str(default.timezone), default.business_hours) == (
        "",
        "Asia/Tokyo",
        None,
    )


def test_an_instance_hours_need_the_after_hours_reply_rule_too() -> None:
    """MISSED_CALL_REPLY_AFTER_HOURS needs BUSINESS_HOURS: an instance's own after-hours reply
    is checked against the deployment's hours when the instance has none of its own."""
    text = json.dumps({"1101000001": entry(missedCallReplyAfterHours="Closed now.")})
    with pytest.raises(ConfigError, match=r"\(missedCallReplyAfterHours\): .*needs BUSINESS_HOURS"):
        Config.from_env({"GREEN_API_INSTANCES": text})
    config = Config.from_env({"GREEN_API_INSTANCES": text, "BUSINESS_HOURS": "mon-fri 09:00-18:00"})
    assert config.settings_for(1101000001).after_hours_template == "Closed now."


def test_an_instance_configuration_is_made_once() -> None:
    config = Config.from_env({"GREEN_API_INSTANCES": json.dumps(two())})
    assert config.settings_for(1101000001) is config.settings_for(1101000001)


def test_every_per_instance_setting_has_a_config_field() -> None:
    """instances.SETTINGS (the JSON keys) and config's table of fields name the same variables."""
    from call_logger.settings.per_instance import INSTANCE_FIELDS

    read = {variable for _, variables, _ in INSTANCE_FIELDS for variable in variables}
    assert read == set(instances.SETTINGS.values())
