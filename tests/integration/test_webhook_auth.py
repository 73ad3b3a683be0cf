"""Who may post to the function and what: the bearer token, the method, the body's size and
shape, and the instance (every refusal writes nothing)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import TOKEN, ClientFactory, post, records, sample
from tests.integration.test_webhook import call
from tests.support.backends import Backend


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no header"),
        ({"Authorization": f"Basic {TOKEN}"}, "another scheme"),
        ({"Authorization": "Bearer wrong"}, "wrong token"),
        ({"Authorization": f"Bearer {TOKEN[:-1]}X"}, "last character differs"),
        ({"Authorization": f"Bearer {TOKEN} "}, "trailing space"),
        ({"Authorization": TOKEN}, "no scheme"),
    ],
)
def test_bad_credentials_answer_401_and_write_nothing(
    make_client: ClientFactory, backend: Backend, headers: dict[str, str], why: str
) -> None:
    answer = make_client().post("/", json=call("offer"), headers=headers)
    assert answer.status_code == 401, why
    assert backend.documents() == {}


def test_bearer_scheme_is_case_insensitive(make_client: ClientFactory, backend: Backend) -> None:
    answer = make_client().post(
        "/", json=call("offer"), headers={"Authorization": f"bearer {TOKEN}"}
    )
    assert answer.status_code == 200


def test_unconfigured_token_refuses_everything(
    make_client: ClientFactory, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(WEBHOOK_TOKEN="")
    assert post(client, call("offer"), token="").status_code == 401
    assert post(client, call("offer"), token=None).status_code == 401
    assert backend.documents() == {}
    assert "WEBHOOK_TOKEN is not configured" in caplog.text


def test_unauthenticated_only_when_asked_explicitly(
    make_client: ClientFactory, backend: Backend
) -> None:
    client = make_client(WEBHOOK_TOKEN="", ALLOW_UNAUTHENTICATED="true")
    assert post(client, call("offer"), token=None).status_code == 200
    assert len(records(backend)) == 1


def test_token_never_reaches_the_logs(
    make_client: ClientFactory, backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    client = make_client()
    post(client, call("offer"))
    post(client, call("offer"), token="wrong-token-value")
    post(client, {"typeWebhook": "incomingCall"})
    assert TOKEN not in caplog.text
    assert "wrong-token-value" not in caplog.text


def test_method_size_and_body_checks(make_client: ClientFactory, backend: Backend) -> None:
    client = make_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/", headers=auth).status_code == 405
    assert client.put("/", json=call("offer"), headers=auth).status_code == 405
    padding = " " * (1024 * 1024)
    assert post(client, json.dumps(call("offer")) + padding).status_code == 413
    # The size is checked before the token: an oversized body is never read.
    assert post(client, "x" * (1024 * 1024 + 1), token=None).status_code == 413
    for bad in (b"", b"[]", b"null", b"not json", b'"text"', b"\xff"):
        assert post(client, bad).status_code == 400, bad
    assert backend.documents() == {}


def test_body_of_exactly_one_mebibyte_is_accepted(
    make_client: ClientFactory, backend: Backend
) -> None:
    text = json.dumps(call("offer"))
    body = text[:-1] + " " * (1024 * 1024 - len(text)) + "}"
    assert len(body) == 1024 * 1024
    assert post(make_client(), body).status_code == 200
    assert len(records(backend)) == 1


def test_other_instance_is_refused_for_every_type(
    make_client: ClientFactory, backend: Backend
) -> None:
    client = make_client(GREEN_API_ID_INSTANCE="1101000002")
    assert post(client, call("offer")).status_code == 403
    assert post(client, sample("incoming-message")).status_code == 403
    # Unreadable instance data is not a mismatch: the body is judged on its own.
    assert post(client, {"typeWebhook": "incomingMessageReceived"}).status_code == 200
    assert backend.documents() == {}
    same = make_client(GREEN_API_ID_INSTANCE="1101000001")
    assert post(same, call("offer")).status_code == 200
    assert len(records(backend)) == 1
