"""In-memory stand-ins for the service's two edges: one small fake each, shared by the unit tests.

`MemoryStore` keeps the `Store` contract (one snapshot read, one atomic conditional commit,
WriteConflict when the record exists or the chat moved) without any database; `FakeGreenApi`
answers names from a dict and records what it was asked to send. Neither imports Firestore,
moto, boto3 or requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from call_logger.notification import CallNotification
from call_logger.records import ChatState, Snapshot, StateWrite, StoredState, WritePlan
from call_logger.store import StorageUnavailable, WriteConflict


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

    def load(self, call: CallNotification) -> Snapshot:
        self._check_up()
        self.loads += 1
        chat = self.chats.get(call.chat_key)
        state = None
        if chat is not None:
            state = ChatState(
                version=self.versions[call.chat_key],
                caller_name=chat.get("callerName"),
                name_checked_at=chat.get("callerNameCheckedAt"),
                last_call_at=chat.get("lastCallAt"),
            )
        return Snapshot(state, (call.chat_key, call.record_key) in self.records)

    def save(self, plan: WritePlan) -> None:
        self._check_up()
        self.saves += 1
        if self.conflicts_to_inject:
            self.conflicts_to_inject -= 1
            raise WriteConflict("injected")
        if (plan.chat_key, plan.record_key) in self.records:
            raise WriteConflict("record exists")
        if plan.chat is not None:
            exists = plan.chat_key in self.chats
            if plan.chat.create == exists or (
                not plan.chat.create and plan.chat.version != self.versions[plan.chat_key]
            ):
                raise WriteConflict("chat moved")
            self.chats.setdefault(plan.chat_key, {}).update(plan.chat.fields)
            self.versions[plan.chat_key] = self.versions.get(plan.chat_key, 0) + 1
        self.records[(plan.chat_key, plan.record_key)] = plan.record.fields()

    def recent_records(self, since: datetime, chat_id: str | None) -> Iterator[dict[str, Any]]:
        self._check_up()
        found = [
            fields
            for fields in self.records.values()
            if fields["eventAt"] >= since and chat_id in (None, fields["chatId"])
        ]
        yield from sorted(found, key=lambda fields: fields["eventAt"], reverse=True)

    def keep_rejected(
        self,
        digest: str,
        body: str,
        reason: str,
        received_at: datetime,
        expire_at: datetime | None = None,
    ) -> None:
        self._check_up()
        if digest in self.rejected:
            raise WriteConflict("already kept")
        kept = {"body": body, "reason": reason, "receivedAt": received_at}
        self.rejected[digest] = kept | ({"expireAt": expire_at} if expire_at else {})

    def load_instance(self, instance_id: int) -> StoredState | None:
        self._check_up()
        fields = self.instances.get(instance_id)
        if fields is None:
            return None
        return StoredState(fields["version"], fields["state"], fields["stateChangedAt"])

    def save_instance(self, write: StateWrite) -> None:
        self._check_up()
        stored = self.instances.get(write.instance_id)
        if (stored is None) != write.create or (
            stored is not None and stored["version"] != write.version
        ):
            raise WriteConflict("instance moved")
        version = 1 if stored is None else stored["version"] + 1
        self.instances[write.instance_id] = write.fields | {"version": version}

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
    """Names by chat id (a chat missing from `names` fails its lookup); sends are recorded."""

    names: dict[str, str | None] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)
    send_fails: bool = False

    def get_contact_info(self, chat_id: str, *, budget: float) -> FakeContact:
        self.lookups.append(chat_id)
        if chat_id not in self.names:
            raise TimeoutError(f"no answer for {chat_id} within {budget} s")
        return FakeContact(self.names[chat_id])

    def send_message(self, chat_id: str, message: str) -> dict[str, str]:
        if self.send_fails:
            raise ConnectionError("sendMessage failed")
        self.sent.append((chat_id, message))
        return {"idMessage": f"SENT{len(self.sent)}"}


def every_instance(green_api: FakeGreenApi | None) -> Callable[[int], FakeGreenApi | None]:
    """The service's `clients`: this one fake for a call of any instance."""
    return lambda instance_id: green_api
