"""`configure-instance` against the fake GREEN-API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from call_logger.cli import main

from devserver.fake_green_api import FakeGreenApi

WEBHOOK_URL = "https://europe-west1-demo.cloudfunctions.net/green-call-logger"
WEBHOOK_TOKEN = "whk-Secret-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(fake_green_api: FakeGreenApi, monkeypatch: pytest.MonkeyPatch) -> FakeGreenApi:
    for name in list(os.environ):
        if name.startswith(("GREEN_API_", "WEBHOOK_", "CALL_", "STORE")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GREEN_API_URL", fake_green_api.url)
    monkeypatch.setenv("GREEN_API_ID_INSTANCE", str(fake_green_api.instance_id))
    monkeypatch.setenv("GREEN_API_TOKEN", fake_green_api.token)
    monkeypatch.setenv("WEBHOOK_TOKEN", WEBHOOK_TOKEN)
    return fake_green_api


# The switches the function reads, on (the fake starts with every switch off).
ALL_FLAGS = {
    name: "yes"
    for name in (
        "incomingCallWebhook",
        "outgoingCallWebhook",
        "stateWebhook",
        "outgoingMessageWebhook",
        "outgoingAPIMessageWebhook",
    )
}
# What --check compares: the URL, those switches, and the two unused ones that must stay off.
CHECKED = 1 + len(ALL_FLAGS) + 2


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["configure-instance", *args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_no_secrets(server: FakeGreenApi, *texts: str) -> None:
    for text in texts:
        assert server.token not in text
        assert WEBHOOK_TOKEN not in text


def test_sets_the_webhook(env: FakeGreenApi, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--webhook-url", WEBHOOK_URL)

    assert code == 0
    [request] = env.requests_for("setSettings")
    # incomingWebhook and outgoingWebhook are off already: not sent.
    token = {"webhookUrlToken": WEBHOOK_TOKEN}
    assert request.json == {"webhookUrl": WEBHOOK_URL, **token, **ALL_FLAGS}
    assert "wh***" in out
    assert WEBHOOK_URL in out
    assert "5 minutes" in out
    assert "restarts" in out
    assert_no_secrets(env, out, err)


def test_without_callback_by_message_outgoing_messages_stay_off(
    env: FakeGreenApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLBACK_BY_MESSAGE", "false")

    code, _, _ = run(capsys, "--webhook-url", WEBHOOK_URL)

    assert code == 0
    sent = env.requests_for("setSettings")[0].json
    assert sent["outgoingCallWebhook"] == "yes"
    assert "outgoingWebhook" not in sent and "outgoingMessageWebhook" not in sent


def test_token_option_overrides_env(env: FakeGreenApi, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--webhook-url", WEBHOOK_URL, "--webhook-token", "cli-token-42xyz")

    assert code == 0
    assert env.requests_for("setSettings")[0].json["webhookUrlToken"] == "cli-token-42xyz"
    assert "cl***" in out
    assert "cli-token-42xyz" not in out


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GREEN_API_ID_INSTANCE", None),
        ("GREEN_API_TOKEN", None),
        ("WEBHOOK_TOKEN", None),
        ("GREEN_API_ID_INSTANCE", "abc"),
    ],
)
def test_missing_or_bad_config_exits_2(
    env: FakeGreenApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str | None,
) -> None:
    if value is None:
        monkeypatch.delenv(name)
    else:
        monkeypatch.setenv(name, value)

    code, out, err = run(capsys, "--webhook-url", WEBHOOK_URL)

    assert code == 2
    assert name in err
    assert env.requests == []
    assert_no_secrets(env, out, err)


@pytest.mark.parametrize("url", ["", "  ", "not a url", "ftp://example.com/x"])
def test_missing_or_bad_url_exits_2(
    env: FakeGreenApi, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    # "" is what `make configure-instance` passes when terraform has no output.
    code, _, err = run(capsys, "--webhook-url", url)

    assert code == 2
    assert "--webhook-url" in err
    assert env.requests == []


def test_url_option_is_required(env: FakeGreenApi) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["configure-instance"])
    assert caught.value.code == 2


def test_check_passes(env: FakeGreenApi, capsys: pytest.CaptureFixture[str]) -> None:
    env.settings.update(webhookUrl=WEBHOOK_URL, **ALL_FLAGS)
    env.settings["webhookUrlToken"] = WEBHOOK_TOKEN

    code, out, err = run(capsys, "--check", "--webhook-url", WEBHOOK_URL)

    assert code == 0
    lines = out.splitlines()
    assert len(lines) == CHECKED
    assert all(" ok " in line for line in lines)
    assert env.requests_for("setSettings") == []
    assert_no_secrets(env, out, err)


def test_check_reports_each_mismatch(env: FakeGreenApi, capsys: pytest.CaptureFixture[str]) -> None:
    env.settings.update(webhookUrl="https://old.example/hook", incomingCallWebhook="yes")
    del env.settings["stateWebhook"]

    code, out, _ = run(capsys, "--check", "--webhook-url", WEBHOOK_URL)

    assert code == 1
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "MISMATCH" in lines["webhookUrl"]
    assert "'https://old.example/hook'" in lines["webhookUrl"]
    assert " ok " in lines["incomingCallWebhook"]
    assert "MISMATCH" in lines["stateWebhook"]
    assert "(not set)" in lines["stateWebhook"]
    assert env.requests_for("setSettings") == []


def test_check_needs_no_webhook_token(
    env: FakeGreenApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEBHOOK_TOKEN")

    code, _, _ = run(capsys, "--check", "--webhook-url", WEBHOOK_URL)

    assert code == 1  # the fake starts unconfigured


@pytest.mark.parametrize("status", [401, 429, 500])
def test_green_api_error_exits_1(
    env: FakeGreenApi, capsys: pytest.CaptureFixture[str], status: int
) -> None:
    env.fail("setSettings", status=status)

    code, out, err = run(capsys, "--webhook-url", WEBHOOK_URL)

    assert code == 1
    assert f"HTTP {status}" in err
    assert len(env.requests_for("setSettings")) == 1  # POST: never retried
    assert_no_secrets(env, out, err)


def test_connection_failure_exits_1_without_the_token(
    env: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    env.fail("setSettings", drop=True)

    code, out, err = run(capsys, "--webhook-url", WEBHOOK_URL)

    assert code == 1
    assert_no_secrets(env, out, err)


def test_python_dash_m(env: FakeGreenApi) -> None:
    env.settings.update(webhookUrl=WEBHOOK_URL, **ALL_FLAGS)
    pythonpath = os.pathsep.join([str(ROOT / "function"), os.environ.get("PYTHONPATH", "")])

    command = ["configure-instance", "--check", "--webhook-url", WEBHOOK_URL]

    result = subprocess.run(
        [sys.executable, "-m", "call_logger", *command],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": pythonpath},
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.count(" ok ") == CHECKED


def _configured(env: FakeGreenApi) -> None:
    env.settings.update(webhookUrl=WEBHOOK_URL, **ALL_FLAGS)


@pytest.mark.parametrize(
    ("setting", "value"),
    [("MISSED_CALL_REPLY", "Sorry we missed your call"), ("OPERATOR_CHAT_ID", "79000000001@c.us")],
)
def test_check_warns_when_messages_are_configured_but_the_instance_cannot_send(
    env: FakeGreenApi,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    value: str,
) -> None:
    _configured(env)
    monkeypatch.setenv(setting, value)
    env.state = "notAuthorized"

    code, out, err = run(capsys, "--check", "--webhook-url", WEBHOOK_URL)

    assert code == 0  # a warning: calls are still recorded
    assert "WARNING" in out and "'notAuthorized'" in out
    assert "nothing can be sent" in err


def test_check_reports_an_authorized_instance_when_messages_are_configured(
    env: FakeGreenApi, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _configured(env)
    monkeypatch.setenv("MISSED_CALL_REPLY", "Sorry we missed your call")

    code, out, err = run(capsys, "--check", "--webhook-url", WEBHOOK_URL)

    assert code == 0
    assert "stateInstance" in out and "WARNING" not in out
    assert err == ""


def test_check_asks_no_state_without_messages(
    env: FakeGreenApi, capsys: pytest.CaptureFixture[str]
) -> None:
    _configured(env)
    env.state = "notAuthorized"

    run(capsys, "--check", "--webhook-url", WEBHOOK_URL)

    assert env.requests_for("getStateInstance") == []
