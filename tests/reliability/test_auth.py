"""Auth over real HTTP: every wrong credential answers 401 and writes nothing, and no log line
of any logger, at DEBUG, contains a token (the webhook token, a wrong one sent, or the GREEN-API
token, even when a lookup fails)."""

from __future__ import annotations

import logging

import pytest
import requests
from google.cloud import firestore

from devserver.fake_green_api import FakeGreenApi
from tests.conftest import TOKEN, AppFactory, documents, sample
from tests.reliability.harness import LiveServer, report

WRONG = "wrong-token-3a9d"
NEAR = TOKEN[:-1] + ("X" if TOKEN[-1] != "X" else "Y")  # differs in the last character only
REFUSED: list[tuple[str, dict[str, str]]] = [
    ("no header", {}),
    ("another scheme", {"Authorization": f"Basic {TOKEN}"}),
    ("no scheme", {"Authorization": TOKEN}),
    ("wrong token", {"Authorization": f"Bearer {WRONG}"}),
    ("last character differs", {"Authorization": f"Bearer {NEAR}"}),
    ("token with a prefix", {"Authorization": f"Bearer {TOKEN}{TOKEN}"}),
    ("empty bearer", {"Authorization": "Bearer "}),
]


def test_wrong_credentials_answer_401_and_no_token_is_logged(
    make_app: AppFactory,
    db: firestore.Client,
    fake_green_api: FakeGreenApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("", "werkzeug", "urllib3", "call_logger", "google", "grpc", "flask"):
        caplog.set_level(logging.DEBUG, logger=name)
    call = sample("incoming-call-offer")
    sent = 0
    configured = make_app(
        GREEN_API_URL=fake_green_api.url,
        GREEN_API_ID_INSTANCE=str(fake_green_api.instance_id),
        GREEN_API_TOKEN=fake_green_api.token,
        CONTACT_LOOKUP_BUDGET="0.5",
    ).application
    unconfigured = make_app(WEBHOOK_TOKEN="").application
    with LiveServer(configured) as server, LiveServer(unconfigured) as bare:
        for why, headers in REFUSED:
            answer = requests.post(server.url, json=call, headers=headers, timeout=30)
            sent += 1
            assert answer.status_code == 401, why
        # WEBHOOK_TOKEN empty: every request is refused, whatever it carries.
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {TOKEN}"}):
            assert (
                requests.post(bare.url, json=call, headers=headers, timeout=30).status_code == 401
            )
            sent += 1
        assert documents(db) == {}
        # The right token works, also while GetContactInfo fails (its error gets logged).
        fake_green_api.fail("getContactInfo", status=500)
        right = {"Authorization": f"Bearer {TOKEN}"}
        assert requests.post(server.url, json=call, headers=right, timeout=30).status_code == 200
        sent += 1
    assert len(documents(db)) == 2  # the chat and its record
    assert fake_green_api.requests_for("getContactInfo")
    lines = [record.getMessage() for record in caplog.records] + caplog.text.splitlines()
    secrets = (TOKEN, WRONG, NEAR, fake_green_api.token)
    leaks = [line for line in lines if any(secret in line for secret in secrets)]
    report(
        "auth", requests=sent, answered_401=sent - 1, log_lines=len(lines), token_leaks=len(leaks)
    )
    assert any("GetContactInfo" in line for line in lines)  # the failure was logged...
    assert leaks == []  # ...without a token
