"""Firestore behind the Store protocol: one read and one atomic, conditional commit per call.

Layout (documented in docs/data-model.md, read by people in the console):
  chats/{idInstance}_{chatId}                  the conversation partner and its last call
  chats/{idInstance}_{chatId}/records/{id}     one record per recorded notification
  rejected/{sha256 of the body}                notifications that can never be recorded
  digests/{YYYY-MM-DD}                         the days whose digest was sent
  instances/{idInstance}                       the instance's newest stateInstanceChanged
  outbox/{eventId}                             an event to deliver (docs/events.md)
  eventReceivers/{sha256 of EVENTS_URL}        a receiver that answered 410 Gone
  sendLogs/{idInstance}_{reply|notice}         the sends of the last hour (send_caps)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Self

from google.api_core import exceptions as gexc
from google.api_core.retry import Retry
from google.auth.exceptions import GoogleAuthError
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from call_logger.core import state_plan, write_plan
from call_logger.core.events import OutboxEvent
from call_logger.core.notification import CallNotification
from call_logger.core.send_caps import SENT_AT, WARNED_AT, SendLog
from call_logger.settings.config import Config
from call_logger.stores.base import (
    EXISTENCE_BATCH,
    RecordKey,
    Rejected,
    StorageMisconfigured,
    StorageUnavailable,
    Versioned,
    WriteConflict,
)
from call_logger.stores.firestore_errors import (
    CREATE_CONFLICTS,
    NO_DOCUMENT,
    UPDATE_CONFLICTS,
    no_database,
    storage_errors,
)

CHATS = "chats"
RECORDS = "records"
REJECTED = "rejected"
INSTANCES = "instances"
DIGESTS = "digests"
OUTBOX = "outbox"
RECEIVERS = "eventReceivers"
SEND_LOGS = "sendLogs"
# Records read per query when listing a window (see recent_records).
READ_PAGE = 2000
# A field no document has: the chat probe removes it (see probe_chat).
_NEVER_SET = "neverSet"
# A document holds at most 1 MiB: a rejected body is cut well below that.
MAX_REJECTED_BODY_BYTES = 900_000


class FirestoreStore:
    def __init__(
        self, client: firestore.Client, timeout: float, database: str = "(default)"
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._database = f"Firestore database {database!r} of project {client.project!r}"
        # Retries UNAVAILABLE and friends within the deadline, then gives up (-> 503).
        self._retry = Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=timeout)

    @classmethod
    def from_config(cls, config: Config) -> Self:
        try:
            client = firestore.Client(project=config.project, database=config.database)
        except GoogleAuthError as error:  # no credentials or project: an operator can fix it
            raise StorageUnavailable(f"{type(error).__name__}: {error}") from error
        return cls(client, config.store_timeout, config.database)

    def _chat(self, chat_key: str) -> firestore.DocumentReference:
        return self._client.collection(CHATS).document(chat_key)

    def load(self, call: CallNotification, send_logs: Sequence[str] = ()) -> write_plan.Snapshot:
        chat_ref = self._chat(call.chat_key)
        record_ref = chat_ref.collection(RECORDS).document(call.record_key)
        log_refs = {key: self._client.collection(SEND_LOGS).document(key) for key in send_logs}
        with self._errors("reading a chat"):
            docs = {
                doc.reference.path: doc
                for doc in self._client.get_all(
                    [chat_ref, record_ref, *log_refs.values()],
                    retry=self._retry,
                    timeout=self._timeout,
                )
            }
        chat_doc = docs.get(chat_ref.path)
        record_doc = docs.get(record_ref.path)
        chat = _chat_state(chat_doc)
        logs = {
            key: _send_log(doc)
            for key, ref in log_refs.items()
            if (doc := docs.get(ref.path)) is not None and doc.exists
        }
        return write_plan.Snapshot(
            chat=chat, record_exists=record_doc is not None and record_doc.exists, send_logs=logs
        )

    def probe_chat(self, chat_key: str) -> bool:
        # Removing a field no document has: an update that changes nothing, and like every
        # update fails (NotFound) where the document does not exist, which it never creates.
        # A database that does not exist answers NotFound too: only "no document to update"
        # means the chat never called; anything else is the configuration error it is.
        with self._errors("probing a chat", UPDATE_CONFLICTS):
            try:
                self._chat(chat_key).update(
                    {_NEVER_SET: firestore.DELETE_FIELD}, retry=self._retry, timeout=self._timeout
                )
            except gexc.NotFound as error:
                if NO_DOCUMENT in str(error).lower():
                    return False
                raise self._no_database("probing a chat", error) from error
        return True

    def load_chat(self, chat_key: str) -> write_plan.ChatState | None:
        with self._errors("reading a chat"):
            doc = self._chat(chat_key).get(retry=self._retry, timeout=self._timeout)
        return _chat_state(doc)

    def save_chat(self, chat_key: str, write: write_plan.ChatWrite) -> None:
        option = self._client.write_option(last_update_time=write.version)
        batch = self._client.batch()
        batch.update(self._chat(chat_key), write.fields, option=option)
        self._add_events(batch, write.events)
        with self._errors("writing a chat", UPDATE_CONFLICTS):
            batch.commit(retry=self._retry, timeout=self._timeout)

    def _add_events(self, batch: Any, events: Sequence[OutboxEvent]) -> None:
        """Outbox documents in the same commit as what they tell of (docs/events.md)."""
        for event in events:
            batch.set(self._client.collection(OUTBOX).document(event.id), event.fields())

    def link_person(
        self, chat_key: str, instance_id: int, chat_id: str, person: str, expire_at: datetime | None
    ) -> None:
        ref = self._chat(chat_key)
        made = {"instanceId": instance_id, "chatId": chat_id, write_plan.PERSON: person}
        with self._errors("linking a chat", (gexc.AlreadyExists,)):
            try:
                ref.update({write_plan.PERSON: person}, retry=self._retry, timeout=self._timeout)
                return
            except gexc.NotFound as error:
                if NO_DOCUMENT not in str(error).lower():
                    raise self._no_database("linking a chat", error) from error
            expiry = {"expireAt": expire_at} if expire_at else {}
            ref.create(made | expiry, retry=self._retry, timeout=self._timeout)

    def is_reply(self, chat_key: str, message_id: str) -> bool:
        # Equality on one field of one chat's records: Firestore's automatic single-field index.
        query = (
            self._chat(chat_key)
            .collection(RECORDS)
            .where(filter=FieldFilter("replyId", "==", message_id))
            .limit(1)
        )
        with self._errors("reading a chat's records"):
            return any(True for _ in query.stream(retry=self._retry, timeout=self._timeout))

    def save(self, plan: write_plan.WritePlan) -> None:
        chat_ref = self._chat(plan.chat_key)
        batch = self._client.batch()
        record = plan.record.fields() | {"recordedAt": firestore.SERVER_TIMESTAMP}
        batch.create(chat_ref.collection(RECORDS).document(plan.record_key), record)
        writes: list[tuple[Any, Versioned]] = [(chat_ref, plan.chat)] if plan.chat else []
        # The caps' claims: as read, or the commit fails.
        writes += [
            (self._client.collection(SEND_LOGS).document(log.key), log) for log in plan.send_logs
        ]
        updates = [self._create_or_update(batch, ref, write) for ref, write in writes]
        conflicts = UPDATE_CONFLICTS if any(updates) else CREATE_CONFLICTS
        self._add_events(batch, plan.events)
        with self._errors("writing a record", conflicts):
            batch.commit(retry=self._retry, timeout=self._timeout)

    def update_record(self, chat_key: str, record_key: str, fields: dict[str, Any]) -> None:
        ref = self._chat(chat_key).collection(RECORDS).document(record_key)
        with self._errors("noting the reply on a record"):
            ref.update(fields, retry=self._retry, timeout=self._timeout)

    def recent_records(
        self, since: datetime, chat_id: str | None, instance_id: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Records with eventAt >= since (of one chat, of one instance), newest first (for
        `calls` and the digest; each query shape has an index in terraform/gcp/firestore.tf).
        StorageUnavailable while reading."""
        records = self._client.collection_group(RECORDS).where(
            filter=FieldFilter("eventAt", ">=", since)
        )
        if chat_id is not None:
            records = records.where(filter=FieldFilter("chatId", "==", chat_id))
        if instance_id is not None:
            records = records.where(filter=FieldFilter("instanceId", "==", instance_id))
        records = records.order_by("eventAt", direction=firestore.Query.DESCENDING)
        # Page by page, each within STORE_TIMEOUT: a week of a busy instance's records takes
        # longer to stream than one operation may.
        # Streamed lazily, so a reader that stops early (calls --limit) reads no further.
        last = None
        while True:
            page = records.limit(READ_PAGE)
            if last is not None:
                page = page.start_after(last)
            count = 0
            with self._errors("listing records"):
                for last in page.stream(retry=self._retry, timeout=self._timeout):
                    count += 1
                    yield last.to_dict() or {}
            if count < READ_PAGE:
                return

    def chat_summaries(self, chat_keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        refs = [self._chat(key) for key in dict.fromkeys(chat_keys)]
        if not refs:
            return {}
        with self._errors("reading chats"):
            docs = self._client.get_all(refs, retry=self._retry, timeout=self._timeout)
            return {doc.id: doc.to_dict() or {} for doc in docs if doc.exists}

    def existing_records(self, keys: Sequence[RecordKey]) -> set[RecordKey]:
        found: set[RecordKey] = set()
        for start in range(0, len(keys), EXISTENCE_BATCH):
            refs = {
                self._chat(chat_key).collection(RECORDS).document(record_key).path: (
                    chat_key,
                    record_key,
                )
                for chat_key, record_key in keys[start : start + EXISTENCE_BATCH]
            }
            documents = [self._client.document(path) for path in refs]
            with self._errors("checking which records exist"):
                # One BatchGetDocuments RPC; the mask keeps the answer small.
                for doc in self._client.get_all(
                    documents, field_paths=["status"], retry=self._retry, timeout=self._timeout
                ):
                    if doc.exists:
                        found.add(refs[doc.reference.path])
        return found

    def chat_records_between(
        self, chat_key: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        # A range on one field of one chat's records: served by Firestore's automatic index.
        records = (
            self._chat(chat_key)
            .collection(RECORDS)
            .where(filter=FieldFilter("eventAt", ">=", start))
            .where(filter=FieldFilter("eventAt", "<=", end))
        )
        with self._errors("reading a chat's records"):
            return [
                doc.to_dict() or {}
                for doc in records.stream(retry=self._retry, timeout=self._timeout)
            ]

    def keep_rejected(self, rejected: Rejected) -> None:
        ref = self._client.collection(REJECTED).document(rejected.digest)
        fields = rejected.fields(MAX_REJECTED_BODY_BYTES)
        with self._errors("keeping a rejected notification", CREATE_CONFLICTS):
            ref.create(fields, retry=self._retry, timeout=self._timeout)

    def digest_claimed(self, day: str) -> bool:
        ref = self._client.collection(DIGESTS).document(day)
        with self._errors("reading the digest's claim"):
            return bool(ref.get(retry=self._retry, timeout=self._timeout).exists)

    def claim_digest(self, day: str, sent_at: datetime) -> None:
        ref = self._client.collection(DIGESTS).document(day)
        with self._errors("claiming the digest", CREATE_CONFLICTS):
            ref.create({"sentAt": sent_at}, retry=self._retry, timeout=self._timeout)

    def release_digest(self, day: str) -> None:
        ref = self._client.collection(DIGESTS).document(day)
        with self._errors("releasing the digest"):
            ref.delete(retry=self._retry, timeout=self._timeout)

    def load_instance(self, instance_id: int) -> state_plan.StoredState | None:
        ref = self._client.collection(INSTANCES).document(str(instance_id))
        with self._errors("reading the instance state"):
            doc = ref.get(retry=self._retry, timeout=self._timeout)
        if not doc.exists:
            return None
        data = doc.to_dict() or {}
        return state_plan.StoredState(
            doc.update_time, str(data.get("state")), data["stateChangedAt"]
        )

    def save_instance(self, write: state_plan.StateWrite) -> None:
        ref = self._client.collection(INSTANCES).document(str(write.instance_id))
        batch = self._client.batch()
        updated = self._create_or_update(batch, ref, write)
        conflicts = UPDATE_CONFLICTS if updated else CREATE_CONFLICTS
        self._add_events(batch, write.events)
        with self._errors("writing the instance state", conflicts):
            batch.commit(retry=self._retry, timeout=self._timeout)

    def note_instance_health(self, instance_id: int, fields: dict[str, Any]) -> bool:
        ref = self._client.collection(INSTANCES).document(str(instance_id))
        try:
            with self._errors("noting the instance's health", (gexc.NotFound,)):
                ref.update(fields, retry=self._retry, timeout=self._timeout)
        except WriteConflict:
            return False  # no state stored yet
        return True

    def instance_states(self) -> Iterator[dict[str, Any]]:
        with self._errors("listing the instance states"):
            for doc in self._client.collection(INSTANCES).stream(
                retry=self._retry, timeout=self._timeout
            ):
                yield doc.to_dict() or {}

    def _create_or_update(self, batch: Any, ref: Any, write: Versioned) -> bool:
        """Create the document, or update it if it is as it was read (its update time): whether
        it is an update, whose failed precondition is a conflict too."""
        if write.create:
            batch.create(ref, write.fields)
            return False
        option = self._client.write_option(last_update_time=write.version)
        batch.update(ref, write.fields, option=option)
        return True

    def _errors(
        self, doing: str, conflicts: tuple[type[Exception], ...] = ()
    ) -> AbstractContextManager[None]:
        return storage_errors(self._database, doing, conflicts)

    def _no_database(self, doing: str, error: Exception) -> StorageMisconfigured:
        return no_database(self._database, doing, error)


def _send_log(doc: Any) -> SendLog:
    data = doc.to_dict() or {}
    return SendLog(doc.update_time, tuple(data.get(SENT_AT) or ()), data.get(WARNED_AT))


def _chat_state(doc: Any) -> write_plan.ChatState | None:
    if doc is None or not doc.exists:
        return None
    return write_plan.ChatState.from_fields(doc.update_time, doc.to_dict() or {})
