"""CallService with in-memory edges: the mode x status table, duplicates, conflicts, rejection,
names and notices, without any server."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from call_logger.core.replies import REPLY_NOTE_WINDOW
from call_logger.flows.outgoing_message import REPLY_NOTE_WAITS
from call_logger.flows.shared import Outcome
from call_logger.flows.webhook import MAX_WRITE_ROUNDS, CallService
from call_logger.settings.config import Config, Mode
from call_logger.stores.base import StorageUnavailable

from tests.support.instances import entry, instances_env
from tests.support.label_table import STATUSES, canonical, expected_label
from tests.unit.fakes import FakeGreenApi, MemoryStore, every_instance

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
CHAT = "79001234567@c.us"


def call(status: str = "offer", **changes: Any) -> dict[str, Any]:
    body = {
        "typeWebhook": "incomingCall",
        "instanceData": {"idInstance": 1101000001, "wid": "79990000000@c.us"},
        "timestamp": int(NOW.timestamp()) - 60,
        "idMessage": "CALL1",
        "from": CHAT,
        "status": status,
    }
    return body | changes


def handle(service: CallService, body: dict[str, Any]) -> Outcome:
    return service.handle(body, json.dumps(body).encode())


def make(store: MemoryStore, green_api: FakeGreenApi | None = None, **settings: Any) -> CallService:
    return CallService(Config(**settings), store, every_instance(green_api), clock=lambda: NOW)


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("status", STATUSES)
def test_each_mode_records_what_the_table_labels(mode: Mode, status: str) -> None:
    store = MemoryStore()
    outcome = handle(make(store, mode=mode), call(status))
    label = expected_label(mode.value, status)
    if label is None:
        assert (outcome, store.records) == (Outcome.SKIPPED, {})
    else:
        assert outcome is Outcome.RECORDED
        (fields,) = store.records.values()
        assert (fields["status"], fields["label"]) == (canonical(status), label)


def test_a_redelivery_is_a_duplicate_that_writes_nothing() -> None:
    store = MemoryStore()
    service = make(store)
    assert handle(service, call()) is Outcome.RECORDED
    saves = store.saves
    assert handle(service, call()) is Outcome.DUPLICATE
    assert store.saves == saves


def test_a_lost_race_is_retried_from_a_fresh_read() -> None:
    store = MemoryStore(conflicts_to_inject=2)
    assert handle(make(store), call()) is Outcome.RECORDED
    assert (store.loads, store.saves, len(store.records)) == (3, 3, 1)


def test_a_chat_that_never_settles_is_storage_unavailable() -> None:
    store = MemoryStore(conflicts_to_inject=MAX_WRITE_ROUNDS)
    with pytest.raises(StorageUnavailable):
        handle(make(store), call())
    assert store.records == {}


def test_an_outage_is_storage_unavailable() -> None:
    with pytest.raises(StorageUnavailable):
        handle(make(MemoryStore(down=True)), call())


def test_an_unrecordable_call_is_kept_once_in_rejected() -> None:
    store = MemoryStore()
    service = make(store)
    body = call(timestamp="yesterday")
    assert handle(service, body) is Outcome.REJECTED
    assert handle(service, body) is Outcome.REJECTED
    (kept,) = store.rejected.values()
    assert kept["reason"] == "timestamp is missing or not an integer"
    assert store.records == {}


def test_a_skipped_status_is_acknowledged_even_when_malformed() -> None:
    store = MemoryStore()
    assert handle(make(store, mode=Mode.OFFER), call("missed", timestamp=None)) is Outcome.SKIPPED
    assert store.rejected == {}


def test_the_name_is_looked_up_once_per_chat_and_cached() -> None:
    store, green_api = MemoryStore(), FakeGreenApi(names={CHAT: "Ivan Petrov"})
    service = make(store, green_api)
    handle(service, call("offer"))
    handle(service, call("pickUp"))
    assert green_api.lookups == [CHAT]
    assert {fields["callerName"] for fields in store.records.values()} == {"Ivan Petrov"}


def test_the_name_is_looked_up_again_after_the_cache_ttl() -> None:
    store, green_api = MemoryStore(), FakeGreenApi(names={CHAT: "Ivan Petrov"})
    handle(make(store, green_api), call("offer"))
    later = CallService(
        Config(), store, every_instance(green_api), clock=lambda: NOW + Config().contact_cache_ttl
    )
    handle(later, call("pickUp"))
    assert green_api.lookups == [CHAT, CHAT]


def test_a_failed_lookup_keeps_the_name_already_known() -> None:
    store, green_api = MemoryStore(), FakeGreenApi(names={CHAT: "Ivan Petrov"})
    handle(make(store, green_api), call("offer"))
    green_api.names.clear()  # the next lookup fails
    later = CallService(
        Config(), store, every_instance(green_api), clock=lambda: NOW + timedelta(days=2)
    )
    assert handle(later, call("pickUp")) is Outcome.RECORDED
    assert [fields["callerName"] for fields in store.records.values()] == ["Ivan Petrov"] * 2


def test_the_operator_hears_of_a_ringing_call_once() -> None:
    green_api = FakeGreenApi(names={CHAT: "Ivan Petrov"})
    service = make(MemoryStore(), green_api, operator_chat_id="79990000000@c.us")
    handle(service, call("offer"))
    handle(service, call("offer"))  # a redelivery: no second notice
    handle(service, call("pickUp"))
    assert green_api.sent == [("79990000000@c.us", "Incoming call from Ivan Petrov +79001234567")]


def test_an_unknown_name_leaves_no_gap_in_the_notice() -> None:
    green_api = FakeGreenApi(names={CHAT: None})
    handle(make(MemoryStore(), green_api, operator_chat_id="79990000000@c.us"), call())
    assert green_api.sent == [("79990000000@c.us", "Incoming call from +79001234567")]


def test_a_failed_notice_does_not_fail_the_call() -> None:
    green_api = FakeGreenApi(send_fails=True)
    store = MemoryStore()
    service = make(store, green_api, operator_chat_id="79990000000@c.us")
    assert handle(service, call()) is Outcome.RECORDED
    assert len(store.records) == 1


def test_each_call_uses_its_own_instances_client_and_settings() -> None:
    shop, clinic = FakeGreenApi(names={CHAT: "Ivan (shop)"}), FakeGreenApi(names={CHAT: "Ivan"})
    instances = {
        1101000001: entry("t0k3n-shop", "https://a.example"),
        1101000002: entry("t0k3n-clinic", "https://b.example", operatorChatId="79990000002@c.us"),
    }
    config = Config.from_env(instances_env(instances, OPERATOR_CHAT_ID="79990000001@c.us"))
    clients = {1101000001: shop, 1101000002: clinic}
    store = MemoryStore()
    service = CallService(config, store, clients.get, clock=lambda: NOW)
    for instance in (1101000001, 1101000002):
        handle(service, call(instanceData={"idInstance": instance, "wid": "79990000000@c.us"}))
    assert (shop.lookups, clinic.lookups) == ([CHAT], [CHAT])
    assert shop.sent == [("79990000001@c.us", "Incoming call from Ivan (shop) +79001234567")]
    assert clinic.sent == [("79990000002@c.us", "Incoming call from Ivan +79001234567")]
    names = {key: fields["callerName"] for (key, _), fields in store.records.items()}
    assert names == {f"1101000001_{CHAT}": "Ivan (shop)", f"1101000002_{CHAT}": "Ivan"}


def test_a_missed_call_gets_one_reply_noted_on_the_record() -> None:
    green_api = FakeGreenApi(names={CHAT: "Ivan"})
    store = MemoryStore()
    service = make(store, green_api, reply_template="Sorry we missed you, {name}.")
    handle(service, call("offer"))
    handle(service, call("missed"))
    handle(service, call("missed"))  # a redelivery
    assert green_api.sent == [(CHAT, "Sorry we missed you, Ivan.")]
    missed = store.records[(f"1101000001_{CHAT}", "CALL1_missed")]
    assert (missed["replyText"], missed["replyId"]) == ("Sorry we missed you, Ivan.", "SENT1")
    assert store.chats[f"1101000001_{CHAT}"]["lastReplyAt"] == NOW


def test_a_lost_commit_neither_loses_nor_doubles_the_reply() -> None:
    green_api = FakeGreenApi(names={CHAT: None})
    store = MemoryStore(conflicts_to_inject=1)  # the first commit loses a race
    handle(make(store, green_api, reply_template="Sorry"), call("missed"))
    assert green_api.sent == [(CHAT, "Sorry")]
    assert store.saves == 2


def test_a_failed_reply_is_noted_and_never_retried() -> None:
    green_api = FakeGreenApi(names={CHAT: None}, send_fails=True)
    store = MemoryStore()
    service = make(store, green_api, reply_template="Sorry")
    assert handle(service, call("missed")) is Outcome.RECORDED
    green_api.send_fails = False
    assert handle(service, call("missed")) is Outcome.DUPLICATE
    (record,) = store.records.values()
    assert "sendMessage failed" in record["replyError"]
    assert green_api.sent == []


def test_replies_follow_each_instances_own_text_hours_and_time_zone() -> None:
    # Monday 12:00 UTC: open in London, 21:00 and closed in Tokyo.
    shop, clinic = FakeGreenApi(names={CHAT: None}), FakeGreenApi(names={CHAT: None})
    hours = {"businessHours": "mon-fri 09:00-18:00", "missedCallReplyAfterHours": "We are closed."}
    instances = {
        1101000001: entry(
            "t0k3n-shop",
            "https://a.example",
            missedCallReply="The shop will call you back.",
            timezone="Europe/London",
            **hours,
        ),
        1101000002: entry("t0k3n-clinic", "https://b.example", timezone="Asia/Tokyo", **hours),
    }
    env = instances_env(instances, MISSED_CALL_REPLY="We will call back.")
    config = Config.from_env(env)
    clients = {1101000001: shop, 1101000002: clinic}
    service = CallService(config, MemoryStore(), clients.get, clock=lambda: NOW)
    for instance in (1101000001, 1101000002):
        data = {"idInstance": instance, "wid": "79990000000@c.us"}
        handle(service, call("missed", instanceData=data))
    assert shop.sent == [(CHAT, "The shop will call you back.")]
    assert clinic.sent == [(CHAT, "We are closed.")]


# -- the reply's own message, and call-back by message ------------------------------------------

CHAT_KEY = f"1101000001_{CHAT}"


def api_message(message_id: str, at: datetime) -> dict[str, Any]:
    return {
        "typeWebhook": "outgoingAPIMessageReceived",
        "instanceData": {"idInstance": 1101000001, "wid": "79990000000@c.us"},
        "timestamp": int(at.timestamp()),
        "idMessage": message_id,
        "senderData": {"chatId": CHAT, "sender": "79990000000@c.us"},
    }


def replied_to_a_missed_call(now: datetime, sleeps: list[float]) -> tuple[CallService, MemoryStore]:
    """A missed call just recorded, its reply sent as SENT1 (the replyId noted on the record)."""
    store = MemoryStore()
    service = CallService(
        Config(reply_template="Sorry we missed you"),
        store,
        every_instance(FakeGreenApi()),
        clock=lambda: now,
        sleep=sleeps.append,
    )
    assert handle(service, call("missed")) is Outcome.RECORDED
    return service, store


def test_the_reply_overtaking_the_note_of_its_id_is_no_call_back() -> None:
    sleeps: list[float] = []
    service, store = replied_to_a_missed_call(NOW, sleeps)
    ((key, fields),) = store.records.items()
    reply_id = fields.pop("replyId")  # not noted yet: the send has not answered

    def note_while_waiting(seconds: float) -> None:
        sleeps.append(seconds)
        store.records[key]["replyId"] = reply_id

    service = replace(service, sleep=note_while_waiting)
    assert handle(service, api_message(reply_id, NOW)) is Outcome.SKIPPED
    assert store.chats[CHAT_KEY]["awaitingCallback"] is True
    assert len(sleeps) == 1


def test_a_person_writing_through_the_api_right_after_the_reply_is_a_call_back() -> None:
    sleeps: list[float] = []
    service, store = replied_to_a_missed_call(NOW, sleeps)

    assert handle(service, api_message("BY-A-PERSON", NOW)) is Outcome.RECORDED
    assert store.chats[CHAT_KEY]["awaitingCallback"] is False
    assert len(sleeps) == len(REPLY_NOTE_WAITS)  # looked for the id a while, then counted it


def test_long_after_the_reply_an_api_message_is_counted_at_once() -> None:
    sleeps: list[float] = []
    service, store = replied_to_a_missed_call(NOW, sleeps)
    service = replace(service, clock=lambda: NOW + REPLY_NOTE_WINDOW + timedelta(seconds=1))

    assert handle(service, api_message("BY-A-PERSON", NOW)) is Outcome.RECORDED
    assert store.chats[CHAT_KEY]["awaitingCallback"] is False
    assert sleeps == []
