"""In-memory stand-ins for the service's two edges: one small fake each, shared by the unit tests.

`MemoryStore` keeps the `Store` contract (one snapshot read, one atomic conditional commit,
WriteConflict when the record exists or the chat moved) without any database; `FakeGreenApi`
answers names from a dict and records what it was asked to send. Neither imports Firestore,
moto, boto3 or requests.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from call_logger.core import state_plan, write_plan
from call_logger.core.notification import CallNotification
from call_logger.core.send_caps import SENT_AT, WARNED_AT, SendLog
from call_logger.stores.base import (
    EXISTENCE_BATCH,
    RecordKey,
    Rejected,
    StorageUnavailable,
    WriteConflict,
)


@dataclass
class MemoryStore:
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    rejected: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    instances: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Test levers: the next N saves lose the race; `down` makes every call fail as an outage.
    conflicts_to_inject: int = 0
    down: bool = False
    loads: int = 0
    saves: int = 0
    existence_reads: int = 0
    window_queries: int = 0
    probes: int = 0
    reply_checks: int = 0
    digests: dict[str, datetime] = field(default_factory=dict)
    # The caps' send logs by key: (version, fields).
    send_logs: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def load(self, call: CallNotification, send_logs: Sequence[str] = ()) -> write_plan.Snapshot:
        self._check_up()
        self.loads += 1
        logs = {
            key: SendLog(version, tuple(fields[SENT_AT]), fields.get(WARNED_AT))
            for key in send_logs
            if key in self.send_logs
            for version, fields in [self.send_logs[key]]
        }
        exists = (call.chat_key, call.record_key) in self.records
        return write_plan.Snapshot(self._chat(call.chat_key), exists, logs)

    def _chat(self, chat_key: str) -> write_plan.ChatState | None:
        chat = self.chats.get(chat_key)
        return (
            None
            if chat is None
            else write_plan.ChatState.from_fields(self.versions[chat_key], chat)
        )

    def probe_chat(self, chat_key: str) -> bool:
        self._check_up()
        self.probes += 1
        return chat_key in self.chats

    def load_chat(self, chat_key: str) -> write_plan.ChatState | None:
        self._check_up()
        self.loads += 1
        return self._chat(chat_key)

    def save_chat(self, chat_key: str, write: write_plan.ChatWrite) -> None:
        self._check_up()
        self.saves += 1
        if write.version != self.versions.get(chat_key):
            raise WriteConflict("chat moved")
        self.chats[chat_key].update(write.fields)
        self.versions[chat_key] += 1

    def link_person(
        self, chat_key: str, instance_id: int, chat_id: str, person: str, expire_at: datetime | None
    ) -> None:
        self._check_up()
        made = {"instanceId": instance_id, "chatId": chat_id}
        self.chats.setdefault(chat_key, made)["person"] = person
        self.versions[chat_key] = self.versions.get(chat_key, 0) + 1

    def is_reply(self, chat_key: str, message_id: str) -> bool:
        self._check_up()
        self.reply_checks += 1
        return any(
            key == chat_key and fields.get("replyId") == message_id
            for (key, _), fields in self.records.items()
        )

    def chat_summaries(self, chat_keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        self._check_up()
        return {key: dict(self.chats[key]) for key in chat_keys if key in self.chats}

    def digest_claimed(self, day: str) -> bool:
        self._check_up()
        return day in self.digests

    def claim_digest(self, day: str, sent_at: datetime) -> None:
        self._check_up()
        if day in self.digests:
            raise WriteConflict("already claimed")
        self.digests[day] = sent_at

    def release_digest(self, day: str) -> None:
        self._check_up()
        self.digests.pop(day, None)

    def save(self, plan: write_plan.WritePlan) -> None:
        self._check_up()
        self.saves += 1
        if self.conflicts_to_inject:
            self.conflicts_to_inject -= 1
            raise WriteConflict("injected")
        if (plan.chat_key, plan.record_key) in self.records:
            raise WriteConflict("record exists")
        for log in plan.send_logs:
            held = self.send_logs.get(log.key)
            if (held is None) != log.create or (held is not None and held[0] != log.version):
                raise WriteConflict("send log moved")
        if plan.chat is not None:
            exists = plan.chat_key in self.chats
            if plan.chat.create == exists or (
                not plan.chat.create and plan.chat.version != self.versions[plan.chat_key]
            ):
                raise WriteConflict("chat moved")
            self.chats.setdefault(plan.chat_key, {}).update(plan.chat.fields)
            self.versions[plan.chat_key] = self.versions.get(plan.chat_key, 0) + 1
        for log in plan.send_logs:
            version = 0 if log.create else log.version
            self.send_logs[log.key] = (version + 1, dict(log.fields))
        self.records[(plan.chat_key, plan.record_key)] = plan.record.fields()

    def update_record(self, chat_key: str, record_key: str, fields: dict[str, Any]) -> None:
        self._check_up()
        self.records[(chat_key, record_key)].update(fields)

    def recent_records(
        self, since: datetime, chat_id: str | None, instance_id: int | None = None
    ) -> Iterator[dict[str, Any]]:
        self._check_up()
        found = [
            fields
            for fields in self.records.values()
            if fields["eventAt"] >= since
            and chat_id in (None, fields["chatId"])
            and instance_id in (None, fields["instanceId"])
        ]
        yield from sorted(found, key=lambda fields: fields["eventAt"], reverse=True)

    def existing_records(self, keys: Sequence[RecordKey]) -> set[RecordKey]:
        self._check_up()
        self.existence_reads += -(-len(keys) // EXISTENCE_BATCH)
        return {key for key in keys if key in self.records}

    def chat_records_between(
        self, chat_key: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        self._check_up()
        self.window_queries += 1
        return [
            fields
            for (chat, _), fields in list(self.records.items())  # other threads may add
            if chat == chat_key and start <= fields["eventAt"] <= end
        ]

    def keep_rejected(self, rejected: Rejected) -> None:
        self._check_up()
        if rejected.digest in self.rejected:
            raise WriteConflict("already kept")
        self.rejected[rejected.digest] = rejected.fields(
            max_body_bytes=sys.maxsize
        )  # no size limit

    def load_instance(self, instance_id: int) -> state_plan.StoredState | None:
        self._check_up()
        fields = self.instances.get(instance_id)
        if fields is None:
            return None
        return state_plan.StoredState(fields["version"], fields["state"], fields["stateChangedAt"])

    def save_instance(self, write: state_plan.StateWrite) -> None:
        self._check_up()
        stored = self.instances.get(write.instance_id)
        if (stored is None) != write.create or (
            stored is not None and stored["version"] != write.version
        ):
            raise WriteConflict("instance moved")
        version = 1 if stored is None else stored["version"] + 1
        self.instances[write.instance_id] = (stored or {}) | write.fields | {"version": version}

    def note_instance_health(self, instance_id: int, fields: dict[str, Any]) -> bool:
        self._check_up()
        stored = self.instances.get(instance_id)
        if stored is None:
            return False
        stored.update(fields)
        return True

    def instance_states(self) -> Iterator[dict[str, Any]]:
        self._check_up()
        for fields in self.instances.values():
            yield {name: value for name, value in fields.items() if name != "version"}

    def _check_up(self) -> None:
        if self.down:
            raise StorageUnavailable("the memory store is down")


@dataclass(frozen=True)
class FakeContact:
    name: str | None


@dataclass
class FakeGreenApi:
    """Names by chat id (a chat missing from `names` fails its lookup); sends are recorded;
    `journal` is what lastIncomingCalls answers (`journal_fails`: it raises instead)."""

    names: dict[str, str | None] = field(default_factory=dict)
    journal: list[Any] = field(default_factory=list)
    journal_fails: bool = False
    lookups: list[str] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)
    send_fails: bool = False
    lids: dict[str, str] = field(default_factory=dict)  # checkWhatsapp: phone chat id -> lid

    def lid_of(self, chat_id: str, *, budget: float) -> str | None:
        return self.lids.get(chat_id)

    def get_contact_info(self, chat_id: str, *, budget: float) -> FakeContact:
        self.lookups.append(chat_id)
        if chat_id not in self.names:
            raise TimeoutError(f"no answer for {chat_id} within {budget} s")
        return FakeContact(self.names[chat_id])

    def send_message(self, chat_id: str, message: str, *, budget: float) -> str:
        if self.send_fails:
            raise ConnectionError("sendMessage failed")
        self.sent.append((chat_id, message))
        return f"SENT{len(self.sent)}"

    def last_incoming_calls(self, minutes: int) -> list[Any]:
        if self.journal_fails:
            raise GreenApiError("lastIncomingCalls: HTTP 429", status=429, retryable=True)
        return list(self.journal)


class GreenApiError(Exception):
    """Named as green_api.GreenApiError, which the service recognises by name (the unit layer
    imports no requests)."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


def every_instance(green_api: FakeGreenApi | None) -> Callable[[int], FakeGreenApi | None]:
    """The service's `clients`: this one fake for a call of any instance."""
    return lambda instance_id: green_api
