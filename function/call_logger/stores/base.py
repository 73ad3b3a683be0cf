"""The storage boundary: what the flows need from a database, whichever it is, and its errors.
Imports no implementation (stores.factory picks one)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from call_logger.core.notification import CallNotification
from call_logger.core.state_plan import StateWrite, StoredState
from call_logger.core.write_plan import ChatState, ChatWrite, Snapshot, WritePlan


def truncate_utf8(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, cut at a character boundary (documents have a size limit)."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


class Versioned(Protocol):
    """A write the store creates, or updates if `version` still holds (ChatWrite, SendLogWrite,
    StateWrite)."""

    @property
    def create(self) -> bool: ...
    @property
    def version(self) -> Any: ...
    @property
    def fields(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Rejected:
    """A notification that can never be recorded, kept under `digest` (made from its content)."""

    digest: str
    body: str
    reason: str
    received_at: datetime
    expire_at: datetime | None = None

    def fields(self, max_body_bytes: int) -> dict[str, Any]:
        """What a store keeps: the body cut to fit the store's item size, expireAt when set."""
        fields: dict[str, Any] = {
            "body": truncate_utf8(self.body, max_body_bytes),
            "reason": self.reason,
            "receivedAt": self.received_at,
        }
        if self.expire_at is not None:
            fields["expireAt"] = self.expire_at
        return fields


class StorageUnavailable(Exception):
    """The database could not be reached or did not answer in time: a retry may succeed."""


class StorageMisconfigured(StorageUnavailable):
    """The database, table or an index it needs does not exist: loud (an ERROR naming what to
    create) and, as any StorageUnavailable, never acknowledged: once it is fixed, a resend works."""


class WriteConflict(Exception):
    """Only inside the write that set it: the document it creates already exists, or the
    precondition it set on the chat failed. Read again and re-plan."""


class PermanentWriteError(Exception):
    """The database refused the data itself: no retry can succeed."""


# Keys of one existence check: BatchGetItem's limit, and a get_all of a reasonable size.
EXISTENCE_BATCH = 100

RecordKey = tuple[str, str]  # (chat key, record key) as in chats/{chat key}/records/{record key}


class Store(Protocol):
    """What the service writes with; `recent_records` is what the `calls` command reads."""

    def load(self, call: CallNotification, send_logs: Sequence[str] = ()) -> Snapshot:
        """The chat summary, whether this record exists and the send logs named (send_caps
        keys), in one round trip."""
        ...

    def save(self, plan: WritePlan) -> None:
        """Commit the plan atomically; WriteConflict if the record exists, or the chat or a
        send log moved."""
        ...

    def probe_chat(self, chat_key: str) -> bool:
        """Whether the chat exists, found by one blind write that is conditional on it and
        changes nothing: never a read, never a document for a chat that never called."""
        ...

    def load_chat(self, chat_key: str) -> ChatState | None:
        """The chat summary alone."""
        ...

    def save_chat(self, chat_key: str, write: ChatWrite) -> None:
        """Update the chat summary if `write.version` still holds; WriteConflict if not."""
        ...

    def link_person(
        self, chat_key: str, instance_id: int, chat_id: str, person: str, expire_at: datetime | None
    ) -> None:
        """Note on the chat of a lid (made if it never called: its instanceId, chatId and
        `expire_at`, kept otherwise) that `person` (a phone chat id) is the same person."""
        ...

    def is_reply(self, chat_key: str, message_id: str) -> bool:
        """Whether a record of the chat holds this idMessage as `replyId` (a message the
        product sent itself)."""

    def update_record(self, chat_key: str, record_key: str, fields: dict[str, Any]) -> None:
        """Set `fields` on an existing record (what became of its reply)."""
        ...

    def recent_records(
        self, since: datetime, chat_id: str | None, instance_id: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Record fields with eventAt >= since (of one chat, of one instance, if given), newest
        first; an instance's are read from an index of its own (nothing of another's)."""
        ...

    def chat_summaries(self, chat_keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The chat summaries' fields by chat key, read by key; a key without a chat is left out."""
        ...

    def keep_rejected(self, rejected: Rejected) -> None:
        """Keep an unrecordable notification; WriteConflict if its digest is already kept."""
        ...

    def existing_records(self, keys: Sequence[RecordKey]) -> set[RecordKey]:
        """Which of these records exist, one read per EXISTENCE_BATCH keys (for `reconcile`)."""
        ...

    def chat_records_between(
        self, chat_key: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """The fields of the chat's records with start <= eventAt <= end, read consistently."""
        ...

    def load_instance(self, instance_id: int) -> StoredState | None:
        """instances/{instance_id}, strongly consistent; None if no state is known yet."""
        ...

    def save_instance(self, write: StateWrite) -> None:
        """Create or replace the instance's state; WriteConflict if it changed since read."""
        ...

    def note_instance_health(self, instance_id: int, fields: dict[str, Any]) -> bool:
        """Set `fields` (what the health check found, and when) on instances/{instance_id},
        leaving its state alone; False when no state is stored yet (nothing is written)."""
        ...

    def instance_states(self) -> Iterator[dict[str, Any]]:
        """The fields of every instances/{idInstance} document (for `status`)."""
        ...

    def digest_claimed(self, day: str) -> bool:
        """Whether the digest of `day` (as claim_digest names it) was claimed already."""
        ...

    def claim_digest(self, day: str, sent_at: datetime) -> None:
        """Remember that the digest of `day` (YYYY-MM-DD) is being sent; WriteConflict if an
        earlier run claimed it."""
        ...

    def release_digest(self, day: str) -> None:
        """Forget the claim of `day` (GREEN-API refused the digest: it was not sent), so that
        the next run sends it; nothing happens when it is not claimed."""
        ...


class Outbox(Protocol):
    """The outbox documents the delivery of events reads and settles (both stores have it)."""

    def outbox_event(self, event_id: str) -> dict[str, Any] | None:
        """The outbox document's fields, strongly consistent; None: delivered already."""
        ...

    def receiver_gone(self, receiver_key: str) -> bool:
        """Whether the receiver of this key (events.receiver_key) answered 410 Gone before."""
        ...

    def note_attempt(self, event_id: str, fields: dict[str, Any]) -> None:
        """Set `fields` (attempts, first attempt, last error, state) on an outbox document."""
        ...

    def remove_event(self, event_id: str) -> None:
        """Delete a delivered event's outbox document."""
        ...

    def mark_receiver_gone(self, receiver_key: str, at: datetime) -> None:
        """Remember that this receiver answered 410: no more events go to it."""
        ...

    def outbox_events(self) -> Iterator[dict[str, Any]]:
        """Every outbox document's fields, oldest first."""
        ...


class Unreachable(Exception):
    """A command could not read the store; the message is one line that says why."""
