"""The outbox on Firestore, as the delivery of events reads and settles it (flows/events.py):
outbox/{eventId} (written with the record, stores/firestore.py) and eventReceivers/{sha256 of the
URL} (a receiver that answered 410 Gone)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from call_logger.stores.firestore import OUTBOX, RECEIVERS, FirestoreStore


class FirestoreOutbox(FirestoreStore):
    def outbox_event(self, event_id: str) -> dict[str, Any] | None:
        ref = self._client.collection(OUTBOX).document(event_id)
        with self._errors("reading an event"):
            doc = ref.get(retry=self._retry, timeout=self._timeout)
        return (doc.to_dict() or {}) if doc.exists else None

    def receiver_gone(self, receiver_key: str) -> bool:
        ref = self._client.collection(RECEIVERS).document(receiver_key)
        with self._errors("reading a receiver"):
            return bool(ref.get(retry=self._retry, timeout=self._timeout).exists)

    def note_attempt(self, event_id: str, fields: dict[str, Any]) -> None:
        ref = self._client.collection(OUTBOX).document(event_id)
        with self._errors("noting a delivery attempt"):
            ref.update(fields, retry=self._retry, timeout=self._timeout)

    def remove_event(self, event_id: str) -> None:
        ref = self._client.collection(OUTBOX).document(event_id)
        with self._errors("removing a delivered event"):
            ref.delete(retry=self._retry, timeout=self._timeout)

    def mark_receiver_gone(self, receiver_key: str, at: datetime) -> None:
        ref = self._client.collection(RECEIVERS).document(receiver_key)
        with self._errors("marking a receiver gone"):
            ref.set({"goneAt": at}, retry=self._retry, timeout=self._timeout)

    def outbox_events(self) -> Iterator[dict[str, Any]]:
        query = self._client.collection(OUTBOX).order_by("createdAt")
        with self._errors("listing the outbox"):
            for doc in query.stream(retry=self._retry, timeout=self._timeout):
                yield doc.to_dict() or {}
