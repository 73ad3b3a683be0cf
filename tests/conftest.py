"""Shared fixtures: the real Firestore emulator and the real functions-framework app."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import functions_framework
import pytest
from call_logger.green_api import GreenApiClient
from flask.testing import FlaskClient
from google.cloud import firestore

from devserver.emulator import FirestoreEmulator
from devserver.fake_green_api import FakeGreenApi
from tests.support.backends import AwsBackend, Backend, Client, GcpBackend, firestore_documents

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "function" / "main.py"
# Copies of ../shared/green-api/samples, so that a bare checkout tests on its own.
SAMPLES = ROOT / "tests" / "samples"
TOKEN = "test-webhook-token-5f1c"


def sample(name: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    return value


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """Each test leaves the root logger as it found it: a function loaded by one test installs
    its JSON handler there (call_logger.settings.logs.configure), which must not write into the
    next."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def as_a_fresh_process() -> None:
    """Remove the JSON log handler a function loaded by this test installed, so that a command
    run next writes only what it writes when a person runs it."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if type(h).__module__ == "call_logger.settings.logs"]:
        root.removeHandler(handler)


@pytest.fixture(scope="session")
def emulator() -> Iterator[FirestoreEmulator]:
    with FirestoreEmulator() as running:
        yield running


@pytest.fixture
def db(emulator: FirestoreEmulator, monkeypatch: pytest.MonkeyPatch) -> firestore.Client:
    """An empty emulator database, and the environment that points the function at it."""
    emulator.wipe()
    for name, value in emulator.environ().items():
        monkeypatch.setenv(name, value)
    return firestore.Client(project=emulator.project)


AppFactory = Callable[..., FlaskClient]


@pytest.fixture
def make_app(db: firestore.Client, monkeypatch: pytest.MonkeyPatch) -> AppFactory:
    """The deployed main.py in functions-framework, configured by keyword environment values."""

    def make(**env: str) -> FlaskClient:
        _set_function_env(monkeypatch, env)
        app = functions_framework.create_app(target="handle_webhook", source=str(MAIN))
        return app.test_client()

    return make


def post(client: Client, body: Any, token: str | None = TOKEN, **kwargs: Any) -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/", data=data, headers=headers, content_type="application/json", **kwargs)


def documents(source: firestore.Client | Backend) -> dict[str, dict[str, Any]]:
    """Every document by path, from a Firestore client or either backend."""
    if isinstance(source, firestore.Client):
        return firestore_documents(source)
    return source.documents()


def records(source: firestore.Client | Backend) -> dict[str, dict[str, Any]]:
    return {path: doc for path, doc in documents(source).items() if "/records/" in path}


@pytest.fixture(scope="session")
def aws_backend() -> Iterator[AwsBackend]:
    backend = AwsBackend()
    yield backend
    backend.stop()


@pytest.fixture(scope="session")
def gcp_backend(emulator: FirestoreEmulator) -> GcpBackend:
    return GcpBackend(emulator)


@pytest.fixture(params=["gcp", "aws"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    """Each deployment in turn, emptied, with the environment pointing at it."""
    chosen: Backend = request.getfixturevalue(f"{request.param}_backend")
    for name, value in chosen.environ().items():
        monkeypatch.setenv(name, value)
    chosen.reset()
    return chosen


@pytest.fixture
def fake_green_api() -> Iterator[FakeGreenApi]:
    with FakeGreenApi() as server:
        yield server


@pytest.fixture
def green_env(
    backend: Backend, fake_green_api: FakeGreenApi, monkeypatch: pytest.MonkeyPatch
) -> FakeGreenApi:
    """The backend's store and the fake GREEN-API, as `reconcile` and its scheduled runs read
    them."""
    for name in ("CALL_MODE", "CALL_LABELS", "RECONCILE_MATCH_WINDOW", "RECORD_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    set_green_api_env(monkeypatch, fake_green_api)
    return fake_green_api


def set_green_api_env(monkeypatch: pytest.MonkeyPatch, fake: FakeGreenApi) -> None:
    """The environment a command reads to reach the fake GREEN-API instance, with short budgets."""
    monkeypatch.setenv("GREEN_API_URL", fake.url)
    monkeypatch.setenv("GREEN_API_ID_INSTANCE", str(fake.instance_id))
    monkeypatch.setenv("GREEN_API_TOKEN", fake.token)
    monkeypatch.setenv("STORE_TIMEOUT", "2")
    monkeypatch.setenv("CONTACT_LOOKUP_BUDGET", "1")


@pytest.fixture
def client(fake_green_api: FakeGreenApi) -> Iterator[GreenApiClient]:
    """A GREEN-API client of the fake server. No inline backoff between urllib3's own retries:
    the tests never wait for real."""
    with GreenApiClient(
        fake_green_api.url, fake_green_api.instance_id, fake_green_api.token, backoff_factor=0
    ) as green_api:
        yield green_api


@pytest.fixture
def reconcile_app(green_env: FakeGreenApi, green_app: ClientFactory) -> Client:
    """The deployed webhook, with the same settings as `reconcile` (make_client resets them)."""
    return green_app()


@dataclass(frozen=True)
class CallDesk:
    """What a test of the webhook and `reconcile` together works with: the fake GREEN-API (its
    journal), the deployed webhook, the store, and the commands' captured output."""

    green: FakeGreenApi
    app: Client
    backend: Backend
    capsys: pytest.CaptureFixture[str]

    def deliver(self, chat_id: str, status: str, timestamp: int, call_id: str) -> None:
        """A call's webhook, recorded (200) by the deployed function."""
        assert post(self.app, incoming_call(chat_id, status, timestamp, call_id)).status_code == 200


@pytest.fixture
def desk(
    green_env: FakeGreenApi,
    reconcile_app: Client,
    backend: Backend,
    capsys: pytest.CaptureFixture[str],
) -> CallDesk:
    return CallDesk(green_env, reconcile_app, backend, capsys)


def incoming_call(chat_id: str, status: str, timestamp: int, call_id: str) -> dict[str, Any]:
    """An incomingCall webhook of `chat_id`, in the samples' shape."""
    return sample("incoming-call-offer") | {
        "from": chat_id,
        "status": status,
        "timestamp": timestamp,
        "idMessage": call_id,
    }


def journal_entry(chat_id: str, status: str, timestamp: int, call_id: str) -> dict[str, Any]:
    """A lastIncomingCalls entry, in the documented shape."""
    return {
        "type": "incoming",
        "idMessage": call_id,
        "timestamp": timestamp,
        "typeMessage": "incomingCall",
        "chatId": chat_id,
        "isVideo": False,
        "status": status,
    }


ClientFactory = Callable[..., Client]


@pytest.fixture
def make_client(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> ClientFactory:
    """The backend's entry point loaded afresh with keyword environment values."""

    def make(**env: str) -> Client:
        _set_function_env(monkeypatch, env)
        return backend.load_client()

    return make


@pytest.fixture
def green_app(make_client: ClientFactory, fake_green_api: FakeGreenApi) -> ClientFactory:
    """The function wired to the fake GREEN-API server (names looked up within 1 s)."""

    def make(**env: str) -> Client:
        settings = {
            "GREEN_API_URL": fake_green_api.url,
            "GREEN_API_ID_INSTANCE": str(fake_green_api.instance_id),
            "GREEN_API_TOKEN": fake_green_api.token,
            "CONTACT_LOOKUP_BUDGET": "1",
        }
        return make_client(**(settings | env))

    return make


def _set_function_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    defaults = {"WEBHOOK_TOKEN": TOKEN, "STORE_TIMEOUT": "2"}
    for name in (
        "CALL_MODE",
        "GREEN_API_ID_INSTANCE",
        "GREEN_API_TOKEN",
        "GREEN_API_INSTANCES",
        "CALL_LABELS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in (defaults | env).items():
        monkeypatch.setenv(name, value)
