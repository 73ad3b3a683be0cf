"""terraform/gcp's events (docs/events.md), offline with tfparse: a Firestore document-created
trigger (Eventarc) on the outbox, retried, invoking a private delivery function that alone holds
the signing key; nothing of it without events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.iac import gcp_stack as gcp

EVENTS_URL = '"https://crm.example/hooks"'


def events_resources(model: gcp.Model) -> list[str]:
    return sorted(
        r["__tfmeta"]["path"]
        for kind in model
        if kind not in ("variable", "output", "locals")
        for r in gcp.resources(model, kind)
        if "events" in r["__tfmeta"]["path"] or "eventarc" in r["__tfmeta"]["path"]
    )


def secret_keys(function: dict[str, Any]) -> set[str]:
    return {
        block["key"]
        for block in gcp.blocks(function["service_config"].get("secret_environment_variables"))
    }


def test_no_events_no_trigger_and_no_delivery(tmp_path: Path) -> None:
    model = gcp.load()
    assert events_resources(model) == []
    webhook = gcp.cloud_function(model, "webhook")
    assert "EVENTS_URL" not in webhook["service_config"]["environment_variables"]


def test_the_outbox_trigger_invokes_the_private_delivery_function(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, events_url=EVENTS_URL)
    function = gcp.cloud_function(model, "events")
    assert function["build_config"]["entry_point"] == "deliver_event"
    assert function["service_config"]["ingress_settings"] == "ALLOW_INTERNAL_ONLY"
    trigger = function["event_trigger"]
    assert trigger["event_type"] == "google.cloud.firestore.document.v1.created"
    assert trigger["retry_policy"] == "RETRY_POLICY_RETRY"  # backoff, for 24 hours
    filters = {f["attribute"]: f for f in gcp.blocks(trigger["event_filters"])}
    assert filters["document"]["value"] == "outbox/{eventId}"
    assert filters["document"]["operator"] == "match-path-pattern"
    assert filters["database"]["value"] == "(default)"  # the stack's database
    # Eventarc's Firestore triggers live where the database is.
    assert trigger["trigger_region"] == "europe-west1"
    assert gcp.account(model, trigger["service_account_email"]) == "events"
    invoker = gcp.resource(model, "google_cloud_run_service_iam_member.events_invoker")
    assert invoker["role"] == "roles/run.invoker"
    assert gcp.account(model, invoker["member"]) == "events"
    assert gcp.resource(model, "google_project_service.eventarc")["service"] == (
        "eventarc.googleapis.com"
    )
    receiver = gcp.resource(model, 'google_project_iam_member.this["events_receiver"]')
    assert receiver["role"] == "roles/eventarc.eventReceiver"


def test_only_the_delivery_holds_the_signing_key(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, events_url=EVENTS_URL)
    delivery = gcp.cloud_function(model, "events")
    assert "EVENTS_SECRET" in secret_keys(delivery)
    for writer in ("webhook", "reconcile"):
        function = gcp.cloud_function(model, writer)
        assert "EVENTS_SECRET" not in secret_keys(function)
        environment = function["service_config"]["environment_variables"]
        assert environment["EVENTS_URL"] == "https://crm.example/hooks"
        assert "EVENTS_SECRET" not in environment
    access = gcp.resource(
        model, 'google_secret_manager_secret_iam_member.this["events_events_secret"]'
    )
    assert gcp.account(model, access["member"]) == "events"


def test_an_instances_own_events_url_turns_events_on(tmp_path: Path) -> None:
    instances = (
        '{"1101000001" = {apiUrl = "https://api.green-api.com", '
        'apiTokenInstance = "token-0123456789", eventsUrl = "https://crm.example/a"}}'
    )
    model = gcp.load(
        tmp_path,
        green_api_instances=instances,
        green_api_id_instance="null",
        green_api_token="null",
    )
    assert gcp.function_address("events") in events_resources(model)


def test_outbox_documents_expire_with_the_records(tmp_path: Path) -> None:
    with_retention = gcp.load(tmp_path, events_url=EVENTS_URL, record_retention_days="30")
    field = gcp.resource(with_retention, "google_firestore_field.outbox_expire_at")
    assert (field["collection"], field["field"]) == ("outbox", "expireAt")
    forever = gcp.load(tmp_path, events_url=EVENTS_URL, record_retention_days="null")
    fields = [r["__tfmeta"]["path"] for r in gcp.resources(forever, "google_firestore_field")]
    assert fields and not [path for path in fields if "outbox_expire_at" in path]


def test_events_given_up_are_alerted_with_an_email(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, events_url=EVENTS_URL, alert_email='"oncall@example.com"')
    metric = gcp.resource(model, 'google_logging_metric.this["events-given-up"]')
    assert 'jsonPayload.event="event.delivery" AND severity=ERROR' in metric["filter"]
    policy = gcp.resource(model, 'google_monitoring_alert_policy.this["events-given-up"]')
    assert "events list --failed" in policy["documentation"]["content"]
