"""Each instance's own webhookUrlToken, decided by the webhook alone (an in-memory service)."""

from __future__ import annotations

import json

import pytest
from call_logger.entrypoints.http import Webhook
from call_logger.flows.webhook import CallService
from call_logger.settings.config import Config

from tests.unit.fakes import MemoryStore
from tests.unit.test_service import call
from tests.unit.test_webhook_decisions import post

SHOP, CLINIC = 1101000001, 1101000002
KEY = {SHOP: "shop-own-key-0123456789abcdef", CLINIC: "clinic-own-key-0123456789abcdef"}


def webhook(store: MemoryStore) -> Webhook:
    entry = {"apiUrl": "https://api.green-api.com", "apiTokenInstance": "api-token-0123"}
    instances = {str(i): entry | {"webhookUrlToken": KEY[i]} for i in (SHOP, CLINIC)}
    config = Config.from_env({"GREEN_API_INSTANCES": json.dumps(instances)})
    return Webhook(config, CallService(config, store))


def body_of(instance_id: int) -> dict[str, object]:
    body = call()
    body["instanceData"] = {**body["instanceData"], "idInstance": instance_id}
    return body


def test_only_the_key_of_the_instance_the_body_names_is_accepted() -> None:
    store = MemoryStore()
    hook = webhook(store)
    assert post(hook, body_of(CLINIC), f"Bearer {KEY[SHOP]}") == 401
    assert store.records == {}
    assert post(hook, body_of(CLINIC), f"bearer {KEY[CLINIC]}") == 200
    assert len(store.records) == 1


def test_the_keys_kept_for_the_hot_path_stay_within_the_map(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook = webhook(MemoryStore())
    for stranger in range(1, 200):
        assert post(hook, body_of(stranger), f"Bearer {KEY[SHOP]}") == 401
    # Refused as an unknown sender, not reported as a configuration error.
    assert "auth.unconfigured" not in caplog.text
    post(hook, body_of(SHOP), f"Bearer {KEY[SHOP]}")
    assert set(hook._expected) <= {SHOP, CLINIC, None}
