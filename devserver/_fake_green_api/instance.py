"""The fake instance's state (contacts, settings, state, queue, journal, messages) and what each
GREEN-API method answers from it, in its documented shape."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from typing import Any

# enqueue(NO_BODY): a queue item whose receiveNotification answer has a receiptId and no body.
NO_BODY: Any = object()
# lastIncomingCalls without ?minutes= covers this many minutes (GREEN-API's documented default).
JOURNAL_DEFAULT_MINUTES = 1440

CONTACT_TEMPLATE: Mapping[str, Any] = {
    "avatar": "",
    "name": "",
    "contactName": "",
    "email": "",
    "category": "",
    "description": "",
    "products": [],
    "chatId": "",
    "lastSeen": None,
    "isArchive": False,
    "isDisappearing": False,
    "isMute": False,
    "messageExpiration": 0,
    "muteExpiration": None,
    "isBusiness": False,
}

# getSettings' documented fields as on an instance created without settings (wid is added to
# each answer).
DEFAULT_SETTINGS: Mapping[str, Any] = {
    "countryInstance": "",
    "typeAccount": "",
    "webhookUrl": "",
    "webhookUrlToken": "",
    "delaySendMessagesMilliseconds": 5000,
    "markIncomingMessagesReaded": "no",
    "markIncomingMessagesReadedOnReply": "no",
    "sharedSession": "no",
    "outgoingWebhook": "no",
    "outgoingMessageWebhook": "no",
    "outgoingAPIMessageWebhook": "no",
    "incomingWebhook": "no",
    "deviceWebhook": "no",
    "statusInstanceWebhook": "no",
    "stateWebhook": "no",
    "enableMessagesHistory": "no",
    "keepOnlineStatus": "no",
    "pollMessageWebhook": "no",
    "incomingBlockWebhook": "no",
    "incomingCallWebhook": "no",
    "outgoingCallWebhook": "no",
    "editedMessageWebhook": "no",
    "deletedMessageWebhook": "no",
}


class FakeInstance:
    """One GREEN-API instance: what it holds and what it answers (FakeGreenApi serves it)."""

    def __init__(self, instance_id: int, token: str, empty_wait_cap: float) -> None:
        self.instance_id = instance_id
        self.token = token
        # receiveNotification on an empty queue waits min(receiveTimeout, this) seconds.
        self.empty_wait_cap = empty_wait_cap
        self.contacts: dict[str, dict[str, Any]] = {}
        self.lids: dict[str, str] = {}  # phone chat id -> the lid checkWhatsapp answers
        self.messages: list[dict[str, Any]] = []
        self.settings: dict[str, Any] = dict(DEFAULT_SETTINGS)
        self.restarts = 0  # setSettings calls that were answered (each restarts the instance)
        self.state = "authorized"  # what getStateInstance answers ...
        self._next_states: list[str] = []  # ... after these, one per request (answer_states)
        self.webhooks_count: int | None = None  # getWebhooksCount: None counts the queue
        self.journal: list[Any] = []
        self._queue: list[tuple[int, Any]] = []
        self._receipts = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._lock = threading.Condition()
        self._stopping = threading.Event()

    # -- state you configure ----------------------------------------------------------------

    def set_contact(self, chat_id: str, *, contact_name: str = "", name: str = "") -> None:
        """What getContactInfo answers for chat_id (unknown chats get empty names)."""
        self.contacts[chat_id] = {"contactName": contact_name, "name": name}

    def set_lid(self, phone_chat_id: str, lid: str) -> None:
        """What checkWhatsapp answers for a phone chat id: the lid of the same person (unknown
        numbers answer the id asked for, as for an account still known by its number)."""
        self.lids[phone_chat_id] = lid

    def enqueue(self, body: Any) -> int:
        """Append a notification to the receiveNotification queue; returns its receiptId."""
        with self._lock:
            receipt_id = next(self._receipts)
            self._queue.append((receipt_id, body))
            self._lock.notify_all()
        return receipt_id

    @property
    def queue(self) -> list[tuple[int, Any]]:
        with self._lock:
            return list(self._queue)

    def answer_states(self, *states: str) -> None:
        """getStateInstance answers these, one per request, then `state` again: e.g.
        ("starting", "starting") for an instance that setSettings has just restarted."""
        with self._lock:
            self._next_states.extend(states)

    def _wake(self) -> None:
        """Stop long polls waiting on the queue (the server is stopping)."""
        self._stopping.set()
        with self._lock:
            self._lock.notify_all()

    # -- what each method answers -----------------------------------------------------------

    def answer(self, method: str, body: Any, query: Mapping[str, str], extra: str) -> Any:
        """The 200 answer of `method` to a request with this JSON body, query and path tail."""
        if method == "getContactInfo":
            chat_id = body.get("chatId", "") if isinstance(body, dict) else ""
            names = self.contacts.get(chat_id, {"contactName": "", "name": ""})
            return {**CONTACT_TEMPLATE, "chatId": chat_id, **names}
        if method == "checkWhatsapp":
            # GREEN-API's newest docs: chatId (a phone or a lid) in, existsWhatsapp and the
            # found user's lid (its chatId) out.
            chat_id = body.get("chatId", "") if isinstance(body, dict) else ""
            return {"existsWhatsapp": True, "chatId": self.lids.get(chat_id, chat_id)}
        if method == "sendMessage":
            with self._lock:
                self.messages.append(body)
                return {"idMessage": f"BAE5{next(self._message_ids):012X}"}
        if method == "getSettings":
            with self._lock:
                return {"wid": "79009876543@c.us", **self.settings}
        if method == "setSettings":
            with self._lock:
                self.settings.update(body if isinstance(body, dict) else {})
                self.restarts += 1
            return {"saveSettings": True}
        if method == "receiveNotification":
            return self._receive(query)
        if method == "deleteNotification":
            with self._lock:
                kept = [item for item in self._queue if str(item[0]) != extra]
                found = len(kept) != len(self._queue)
                self._queue[:] = kept
            return {"result": found}
        if method == "getStateInstance":
            with self._lock:
                state = self._next_states.pop(0) if self._next_states else self.state
            return {"stateInstance": state}
        if method == "getWebhooksCount":
            with self._lock:
                count = self.webhooks_count
                return {"count": len(self._queue) if count is None else count}
        if method == "lastIncomingCalls":
            return self._journal_answer(query)
        raise AssertionError(method)

    def _receive(self, query: Mapping[str, str]) -> Any:
        wait = min(float(query.get("receiveTimeout", "5")), self.empty_wait_cap)
        with self._lock:
            self._lock.wait_for(lambda: self._queue or self._stopping.is_set(), wait)
            if not self._queue:
                return None
            receipt_id, notification = self._queue[0]
        if notification is NO_BODY:
            return {"receiptId": receipt_id}
        return {"receiptId": receipt_id, "body": notification}

    def _journal_answer(self, query: Mapping[str, str]) -> list[Any]:
        """The entries of the last ?minutes= minutes, newest first; malformed ones always."""
        minutes = int(query.get("minutes", JOURNAL_DEFAULT_MINUTES))
        since = time.time() - minutes * 60
        with self._lock:
            entries = list(self.journal)
        dated = [e for e in entries if _timestamp(e) is not None]
        kept = sorted((e for e in dated if _timestamp(e) >= since), key=_timestamp, reverse=True)
        return kept + [e for e in entries if _timestamp(e) is None]


def _timestamp(entry: Any) -> Any:
    value = entry.get("timestamp") if isinstance(entry, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
