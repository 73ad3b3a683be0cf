"""Which storage error means what, at each call site of each store.

A conflict (re-read and decide again) is only what a write's own preconditions provoke; a missing
database, table or index is a configuration error (StorageMisconfigured: loud, never a 200);
everything else a retry can cure is StorageUnavailable. The emulator cannot produce a missing
database or index, so the real client is used with its RPC layer answering the error instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from call_logger.cli import main
from call_logger.core.notification import parse_call
from call_logger.core.write_plan import ChatState, Snapshot, Source, plan_write
from call_logger.flows.webhook import CallService
from call_logger.settings.config import Config
from call_logger.stores.base import StorageMisconfigured, StorageUnavailable, WriteConflict
from call_logger.stores.dynamodb import DynamoDBStore
from call_logger.stores.firestore import FirestoreStore
from google.api_core import exceptions as gexc
from google.cloud import firestore

from tests.conftest import AppFactory, documents, post, sample
from tests.support.backends import AwsBackend

NO_DATABASE = gexc.NotFound("The database (default) does not exist for project p")
NO_INDEX = gexc.FailedPrecondition("The query requires an index. You can create it here: https://x")
RPCS = {"load": "batch_get_documents", "save": "commit", "reject": "commit", "list": "run_query"}


def failing(
    db: firestore.Client, monkeypatch: pytest.MonkeyPatch, rpc: str, error: Exception
) -> None:
    def answer(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(db._firestore_api, rpc, answer)


def call_of(status: str = "pickUp") -> Any:
    return parse_call(sample("incoming-call-pickup") | {"status": status})


def run_site(store: FirestoreStore, site: str, *, update: bool = False) -> None:
    """One call site of the store; `update`: save a plan that updates an existing chat."""
    call = call_of()
    if site == "load":
        store.load(call)
    elif site == "save":
        chat = ChatState(datetime.now(UTC), None, None, None) if update else None
        store.save(
            plan_write(call, "Answered call", Snapshot(chat, False), None, None, Source.WEBHOOK)
        )
    elif site == "reject":
        store.keep_rejected("digest", "{}", "reason", datetime.now(UTC))
    else:
        list(store.recent_records(datetime.now(UTC) - timedelta(days=1), None))


def raised(action: Callable[[], object]) -> type[BaseException] | None:
    try:
        action()
    except Exception as error:
        return type(error)
    return None


@pytest.mark.parametrize(
    ("site", "error", "expected"),
    [
        # A missing database answers NOT_FOUND to every request.
        ("load", NO_DATABASE, StorageMisconfigured),
        ("save", NO_DATABASE, StorageMisconfigured),
        ("reject", NO_DATABASE, StorageMisconfigured),
        ("list", NO_DATABASE, StorageMisconfigured),
        # An index still building (or never created) answers FAILED_PRECONDITION to a query.
        ("list", NO_INDEX, StorageMisconfigured),
        ("load", NO_INDEX, StorageMisconfigured),
        # ABORTED outside a write that set preconditions: a retry may succeed.
        ("load", gexc.Aborted("contention"), StorageUnavailable),
        ("reject", gexc.Aborted("contention"), StorageUnavailable),
        ("list", gexc.ServiceUnavailable("down"), StorageUnavailable),
        # The only conflicts: a create meeting an existing document.
        ("reject", gexc.AlreadyExists("exists"), WriteConflict),
        ("save", gexc.AlreadyExists("exists"), WriteConflict),
    ],
)
def test_firestore_errors_at_each_call_site(
    db: firestore.Client,
    monkeypatch: pytest.MonkeyPatch,
    site: str,
    error: Exception,
    expected: type[Exception],
) -> None:
    failing(db, monkeypatch, RPCS[site], error)
    assert raised(lambda: run_site(FirestoreStore(db, 2.0), site)) is expected


@pytest.mark.parametrize(
    "error", [gexc.FailedPrecondition("stale"), gexc.NotFound("no entity"), gexc.Aborted("lost")]
)
def test_an_update_whose_precondition_failed_is_a_conflict(
    db: firestore.Client, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    failing(db, monkeypatch, "commit", error)
    store = FirestoreStore(db, 2.0)
    assert raised(lambda: run_site(store, "save", update=True)) is WriteConflict


def test_the_message_names_the_database_to_create(
    db: firestore.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing(db, monkeypatch, "batch_get_documents", NO_DATABASE)
    with pytest.raises(StorageMisconfigured) as caught:
        FirestoreStore(db, 2.0, "calls-db").load(call_of())
    assert "'calls-db'" in str(caught.value)
    assert repr(db.project) in str(caught.value)


def test_an_unrecordable_call_without_a_database_is_not_acknowledged(
    db: firestore.Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    failing(db, monkeypatch, "commit", NO_DATABASE)
    service = CallService(Config(), FirestoreStore(db, 2.0))
    body = sample("incoming-call-pickup") | {"timestamp": "yesterday"}
    with pytest.raises(StorageMisconfigured):
        service.handle(body, b"{}")
    assert "kept in rejected" not in caplog.text


def test_webhook_answers_503_and_logs_an_error_naming_the_database(
    make_app: AppFactory,
    db: firestore.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing(db, monkeypatch, "batch_get_documents", NO_DATABASE)
    failing(db, monkeypatch, "commit", NO_DATABASE)
    monkeypatch.setattr(
        FirestoreStore, "from_config", classmethod(lambda cls, config: cls(db, 2.0, "calls-db"))
    )
    app = make_app()
    unrecordable = sample("incoming-call-pickup") | {"timestamp": "yesterday"}
    for body in (sample("incoming-call-pickup"), unrecordable):
        assert post(app, body).status_code == 503
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2
    assert all("'calls-db'" in message for message in errors)
    monkeypatch.undo()
    assert documents(db) == {}


def test_calls_while_an_index_is_building_says_so_without_a_traceback(
    db: firestore.Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failing(db, monkeypatch, "run_query", NO_INDEX)
    monkeypatch.setattr(
        FirestoreStore, "from_config", classmethod(lambda cls, config: cls(db, 2.0))
    )
    assert main(["calls"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "index" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("site", ["load", "reject", "list"])
def test_a_missing_dynamodb_table_is_a_configuration_error_naming_it(
    aws_backend: AwsBackend, monkeypatch: pytest.MonkeyPatch, site: str
) -> None:
    for name, value in aws_backend.environ().items():
        monkeypatch.setenv(name, value)
    store = DynamoDBStore.from_config(Config(store="dynamodb", dynamodb_table="no-such-table"))
    call = call_of()
    actions: dict[str, Callable[[], object]] = {
        "load": lambda: store.load(call),
        "reject": lambda: store.keep_rejected("digest", "{}", "reason", datetime.now(UTC)),
        "list": lambda: list(store.recent_records(datetime.now(UTC), None)),
    }
    with pytest.raises(StorageMisconfigured, match="'no-such-table'"):
        actions[site]()
