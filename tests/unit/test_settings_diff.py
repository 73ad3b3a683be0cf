"""instance_settings: the switches the function needs, and only what differs is sent."""

from __future__ import annotations

from call_logger.core.instance_settings import (
    COSTS,
    Change,
    as_payload,
    changes,
    mask,
    unused,
    wanted,
)

URL = "https://example.test/webhook"
TOKEN = "whk-Secret-0123456789abcdef"


def needed(**options: bool) -> dict[str, str]:
    chosen = {"callback_by_message": True, "keep_incoming_webhook": False} | options
    return wanted(URL, TOKEN, **chosen)


def test_calls_and_states_always_and_never_incoming_messages_by_default() -> None:
    settings = needed()
    assert {name: settings[name] for name in ("incomingCallWebhook", "outgoingCallWebhook")} == {
        "incomingCallWebhook": "yes",
        "outgoingCallWebhook": "yes",
    }
    assert settings["stateWebhook"] == "yes"
    assert settings["incomingWebhook"] == "no"
    assert settings["outgoingWebhook"] == "no"  # delivery statuses are never read


def test_message_webhooks_follow_callback_by_message() -> None:
    on, off = needed(callback_by_message=True), needed(callback_by_message=False)
    for name in ("outgoingMessageWebhook", "outgoingAPIMessageWebhook"):
        assert (on[name], off[name]) == ("yes", "no")


def test_keeping_incoming_messages_asks_for_them() -> None:
    assert needed(keep_incoming_webhook=True)["incomingWebhook"] == "yes"


def test_the_token_is_left_out_when_unknown() -> None:
    settings = wanted(URL, None, callback_by_message=True, keep_incoming_webhook=False)
    assert "webhookUrlToken" not in settings


def test_only_the_settings_that_differ_are_sent() -> None:
    actual = {**needed(), "incomingWebhook": "yes", "wid": "79009876543@c.us"}
    found = changes(actual, needed())
    assert found == [Change("incomingWebhook", "yes", "no")]
    assert as_payload(found) == {"incomingWebhook": "no"}


def test_nothing_is_sent_when_all_match() -> None:
    assert changes({**needed(), "delaySendMessagesMilliseconds": 5000}, needed()) == []


def test_a_setting_getsettings_does_not_report_is_sent() -> None:
    actual = {name: value for name, value in needed().items() if name != "stateWebhook"}
    assert changes(actual, needed()) == [Change("stateWebhook", None, "yes")]


def test_a_switch_getsettings_does_not_report_is_already_off() -> None:
    actual = {name: value for name, value in needed().items() if name != "outgoingWebhook"}
    assert changes(actual, needed()) == []


def test_a_changed_token_is_described_masked() -> None:
    [change] = changes({**needed(), "webhookUrlToken": "old-Secret-999999"}, needed())
    text = change.describe()
    assert text == "webhookUrlToken: ol*** -> wh***"
    assert TOKEN not in text and "old-Secret-999999" not in text


def test_describe_shows_other_values_as_they_are() -> None:
    assert Change("incomingWebhook", "yes", "no").describe() == "incomingWebhook: 'yes' -> 'no'"
    assert Change("stateWebhook", None, "yes").describe() == "stateWebhook: (not set) -> 'yes'"


def test_unused_switches_that_are_on_are_reported_with_their_cost() -> None:
    actual = {
        **needed(callback_by_message=False),
        "incomingWebhook": "yes",
        "outgoingWebhook": "yes",
        "outgoingMessageWebhook": "yes",
        "pollMessageWebhook": "yes",
        "editedMessageWebhook": "no",
    }
    found = dict(unused(actual, needed(callback_by_message=False)))
    assert set(found) == {
        "incomingWebhook",
        "outgoingWebhook",
        "outgoingMessageWebhook",
        "pollMessageWebhook",
    }
    assert "paid invocation" in found["incomingWebhook"]


def test_switches_the_function_reads_are_never_unused() -> None:
    everything_on = dict.fromkeys(COSTS, "yes")
    kept = needed(callback_by_message=True, keep_incoming_webhook=True)
    reported = {name for name, _ in unused(everything_on, kept)}
    assert not reported & {"incomingWebhook", "outgoingMessageWebhook", "outgoingAPIMessageWebhook"}
    assert "outgoingWebhook" in reported


def test_mask() -> None:
    assert mask("abcdefgh12") == "ab***"
    assert mask("short") == "***"
    assert mask("") == "***"
