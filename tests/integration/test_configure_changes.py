"""`configure-instance` sends only what differs (setSettings restarts the instance) and switches
on only the notifications the function reads, against the fake GREEN-API."""

from __future__ import annotations

import pytest
from call_logger.cli import main

from devserver.fake_green_api import FakeGreenApi
from tests.integration.test_cli_configure import WEBHOOK_TOKEN, WEBHOOK_URL
from tests.integration.test_cli_configure import env as configure_env

MESSAGE_SWITCHES = ("outgoingMessageWebhook", "outgoingAPIMessageWebhook")

env = configure_env  # the fake's one instance and the settings configure-instance reads


@pytest.fixture
def instance(env: FakeGreenApi) -> FakeGreenApi:
    """The instance as an earlier version of this product left it: incomingWebhook and the
    delivery statuses on (the fake starts with every switch off)."""
    env.settings.update(incomingWebhook="yes", outgoingWebhook="yes")
    return env


def configure(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["configure-instance", "--webhook-url", WEBHOOK_URL, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_twice_in_a_row_restarts_the_instance_once(
    instance: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert configure(capsys)[0] == 0
    code, out, _ = configure(capsys)

    assert code == 0
    assert len(instance.requests_for("setSettings")) == 1
    assert instance.restarts == 1
    assert "Nothing to change" in out and "no restart" in out


def test_only_the_settings_that_differ_are_sent(
    instance: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    instance.settings.update(webhookUrl=WEBHOOK_URL, webhookUrlToken=WEBHOOK_TOKEN)
    instance.settings.update(dict.fromkeys(("incomingCallWebhook", "stateWebhook"), "yes"))

    configure(capsys)

    [request] = instance.requests_for("setSettings")
    assert request.json == {
        "outgoingCallWebhook": "yes",
        **dict.fromkeys(MESSAGE_SWITCHES, "yes"),
        "outgoingWebhook": "no",
        "incomingWebhook": "no",
    }


def test_incoming_messages_end_off_by_default(
    instance: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(capsys)
    assert instance.settings["incomingWebhook"] == "no"
    assert instance.settings["incomingCallWebhook"] == "yes"
    assert instance.settings["stateWebhook"] == "yes"


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_incoming_messages_can_be_kept(
    instance: FakeGreenApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    if how == "setting":
        monkeypatch.setenv("KEEP_INCOMING_WEBHOOK", "true")
    configure(capsys, *(["--keep-incoming-webhook"] if how == "flag" else []))
    assert instance.settings["incomingWebhook"] == "yes"
    assert "incomingWebhook" not in instance.requests_for("setSettings")[0].json


def test_without_callback_by_message_the_message_webhooks_stay_off(
    instance: FakeGreenApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBACK_BY_MESSAGE", "false")
    instance.settings["outgoingMessageWebhook"] = "yes"  # from an earlier configuration

    configure(capsys)

    assert [instance.settings[name] for name in MESSAGE_SWITCHES] == ["no", "no"]
    assert instance.settings["outgoingWebhook"] == "no"
    assert instance.settings["outgoingCallWebhook"] == "yes"


def test_what_changed_is_printed_with_the_tokens_masked(
    instance: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    instance.settings["webhookUrlToken"] = "old-Secret-999999"

    _, out, err = configure(capsys)

    assert "webhookUrlToken: ol*** -> wh***" in out
    assert "incomingWebhook: 'yes' -> 'no'" in out
    assert "restarts the instance" in out
    for secret in (WEBHOOK_TOKEN, "old-Secret-999999", instance.token):
        assert secret not in out + err


def test_check_names_each_switch_on_but_unused_with_its_cost(
    instance: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(capsys)
    instance.settings.update(incomingWebhook="yes", pollMessageWebhook="yes")

    code, out, err = configure(capsys, "--check")

    assert code == 0  # calls are recorded: a warning, not a failure
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()}
    assert rows["incomingWebhook"] == rows["pollMessageWebhook"] == "UNUSED"
    assert "incomingWebhook is on but unused" in err and "paid invocation" in err
    assert "configure-instance switches it off" in err
    assert "pollMessageWebhook is on but unused" in err and "GREEN-API console" in err
    assert len(instance.requests_for("setSettings")) == 1  # only the first run's


def test_a_failed_getsettings_sends_nothing(
    instance: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    instance.fail("getSettings", status=466)
    code, _, err = configure(capsys)
    assert code == 1 and "HTTP 466" in err
    assert instance.requests_for("setSettings") == []
