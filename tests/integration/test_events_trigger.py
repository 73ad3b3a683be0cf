"""The Google Cloud delivery path: main.py's deliver_event in the real functions-framework app,
given the CloudEvent Eventarc sends for a document created in `outbox` (binary mode: the
attributes in ce- headers, the document's protobuf as the body, which the function never
parses), against the Firestore emulator and a receiver on 127.0.0.1."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import functions_framework
import pytest
from flask.testing import FlaskClient
from google.cloud import firestore

from tests.conftest import MAIN, AppFactory, post, sample
from tests.support.receiver import Receiver, running_receiver

SECRET = "whsec_" + base64.b64encode(b"trigger-receiver-secret-32-byte!").decode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver(SECRET) as running:
        yield running


def created(client: FlaskClient, event_id: str) -> int:
    """What Eventarc posts for google.cloud.firestore.document.v1.created on outbox/{eventId}."""
    headers = {
        "ce-id": "7f2c0d9e-0001",
        "ce-specversion": "1.0",
        "ce-source": "//firestore.googleapis.com/projects/p/databases/(default)",
        "ce-type": "google.cloud.firestore.document.v1.created",
        "ce-subject": f"documents/outbox/{event_id}",
        "ce-database": "(default)",
        "ce-document": f"outbox/{event_id}",
        "Content-Type": "application/protobuf",
    }
    status: int = client.post("/", data=b"\x0a\x02\x08\x01", headers=headers).status_code
    return status


def test_a_created_outbox_document_is_delivered_and_removed(
    make_app: AppFactory, db: firestore.Client, receiver: Receiver
) -> None:
    webhook = make_app(EVENTS_URL=receiver.url, EVENTS_SECRET=SECRET)
    assert post(webhook, sample("incoming-call-missed")).status_code == 200
    (document,) = db.collection("outbox").list_documents()
    trigger = functions_framework.create_app(
        target="deliver_event", source=str(MAIN), signature_type="cloudevent"
    ).test_client()
    assert created(trigger, document.id) == 200
    (received,) = receiver.received
    assert received.verified and received.webhook_id == document.id
    assert not document.get().exists
    assert created(trigger, document.id) == 200  # Eventarc's redelivery: nothing left to send
    assert len(receiver.received) == 1


def test_an_event_not_taken_fails_the_run_so_eventarc_retries(
    make_app: AppFactory, db: firestore.Client, receiver: Receiver
) -> None:
    receiver.answers.append(502)
    webhook = make_app(EVENTS_URL=receiver.url, EVENTS_SECRET=SECRET)
    post(webhook, sample("incoming-call-missed"))
    (document,) = db.collection("outbox").list_documents()
    trigger = functions_framework.create_app(
        target="deliver_event", source=str(MAIN), signature_type="cloudevent"
    ).test_client()
    assert created(trigger, document.id) == 500  # RETRY_POLICY_RETRY: tried again with backoff
    assert (document.get().to_dict() or {})["attempts"] == 1
    assert created(trigger, document.id) == 200
    assert [item.status for item in receiver.received] == [502, 200]
