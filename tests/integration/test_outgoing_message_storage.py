"""An outgoing message meets the chat probe (one blind update): the emulator's own NotFound for a
chat that never called is a 200, a database that does not exist is a 503 with an ERROR naming it.

The emulator serves any database name (it creates them), so for the missing database the real
client is used with its commit RPC answering the NotFound production Firestore sends."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from call_logger.stores.firestore import FirestoreStore
from google.api_core import exceptions as gexc
from google.cloud import firestore

from tests.conftest import AppFactory, documents, post, sample

NO_DATABASE = gexc.NotFound(
    "The database calls-db does not exist for project p Please visit "
    "https://console.cloud.google.com/datastore/setup?project=p to add a Cloud Firestore database."
)


def on_database(monkeypatch: pytest.MonkeyPatch, db: firestore.Client, name: str) -> None:
    monkeypatch.setattr(
        FirestoreStore, "from_config", classmethod(lambda cls, config: cls(db, 2.0, name))
    )


def test_a_chat_that_never_called_is_acknowledged(
    make_app: AppFactory,
    db: firestore.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert post(make_app(), sample("outgoing-message-received")).status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert documents(db) == {}  # the probe made no chat


def test_a_missing_database_answers_503_with_an_error_naming_it(
    make_app: AppFactory,
    db: firestore.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(*args: Any, **kwargs: Any) -> Any:
        raise NO_DATABASE

    monkeypatch.setattr(db._firestore_api, "commit", answer)
    on_database(monkeypatch, db, "calls-db")
    assert post(make_app(), sample("outgoing-message-received")).status_code == 503
    (error,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "'calls-db'" in error and "FIRESTORE_DATABASE" in error
