"""docs/many-instances.md states the map's keys, the caps and the scheduled work's shape."""

from __future__ import annotations

import re

from call_logger.core import send_caps
from call_logger.core.write_plan import Record
from call_logger.settings import config, instances, per_instance

from tests.support.docs import page_path, section

PAGE = "many-instances.md"


def test_every_key_of_the_map_has_a_row() -> None:
    text = page_path(PAGE).read_text()
    table = text.split("| key | required | meaning |", 1)[1].split("\n\n", 1)[0]
    assert sorted(key for key in instances.KEYS if f"`{key}`" not in table) == []


def test_the_caps_are_stated_as_the_function_applies_them() -> None:
    caps = section(PAGE, "The caps")
    stated = dict(re.findall(r"`([A-Z_]+_PER_HOUR)`[^`(]*\(default (\d+)\)", caps))
    assert stated == {
        "MISSED_CALL_REPLY_MAX_PER_HOUR": str(config.DEFAULT_REPLY_MAX_PER_HOUR),
        "OPERATOR_NOTIFY_MAX_PER_HOUR": str(config.DEFAULT_NOTIFY_MAX_PER_HOUR),
    }
    assert set(send_caps.SETTING.values()) == set(stated)
    assert f"1 to {per_instance.MAX_PER_HOUR}" in caps
    assert "rolling hour" in caps and "`send.capped`" in caps
    # The record's field that says why nothing was sent.
    assert "`cappedBy`" in caps and "cappedBy" in Record.fields.__code__.co_consts


def test_an_entry_token_follows_the_rule_it_is_checked_by() -> None:
    key = section(PAGE, "Each client its own key")
    assert "401" in key and "constant time" in key
    table = page_path(PAGE).read_text()
    assert f"at least {instances.MIN_WEBHOOK_TOKEN_CHARS} letters" in table
