"""terraform/gcp offline: the APIs and the waits after enabling them and after granting, the
Firestore database, its indexes and TTL policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.iac import gcp_stack as gcp


def test_enables_the_apis_and_keeps_them_on_destroy(model: gcp.Model) -> None:
    services = {r["service"]: r for r in gcp.resources(model, "google_project_service")}
    for api in ("cloudfunctions", "run", "cloudbuild", "artifactregistry", "firestore"):
        assert f"{api}.googleapis.com" in services
    assert "secretmanager.googleapis.com" in services
    assert all(r["disable_on_destroy"] is False for r in services.values())


def test_everything_that_uses_an_api_waits_until_the_apis_are_usable(model: gcp.Model) -> None:
    sleep = gcp.resource(model, "time_sleep.apis_enabled")
    # Google: enabling returns before the API is usable everywhere.
    assert gcp.duration_seconds(sleep["create_duration"]) >= 60
    (enabled,) = gcp.depends_on(sleep)  # the for_each resource, as a map of its instances
    assert set(enabled) == {r["service"] for r in gcp.resources(model, "google_project_service")}
    # Adding an API replaces the sleep, so the new API gets its wait too.
    assert sleep["triggers"]["services"] == ",".join(sorted(enabled))
    for address in (
        "google_firestore_database.this",
        'google_service_account.this["runtime"]',
        'google_service_account.this["build"]',
        'google_secret_manager_secret.this["webhook_token"]',
        'google_secret_manager_secret.this["green_api_token"]',
        "google_storage_bucket.source",
    ):
        assert gcp.waits_on(gcp.resource(model, address), sleep), address


def test_every_function_waits_until_every_grant_has_propagated(model: gcp.Model) -> None:
    sleep = gcp.resource(model, "time_sleep.grants_propagated")
    assert gcp.duration_seconds(sleep["create_duration"]) >= 60
    grants = {
        r["id"]
        for kind in model
        if kind.endswith("_iam_member") and kind != "google_cloud_run_service_iam_member"
        for r in gcp.resources(model, kind)
    }
    # tfparse inlines a keyed resource as a map of its instances, a counted one as a list.
    waited = set()
    for entry in gcp.depends_on(sleep):
        for item in gcp.blocks(entry):
            instances = item.values() if "id" not in item else [item]
            waited |= {i["id"] for i in instances if isinstance(i, dict) and "id" in i}
    assert grants <= waited
    for name in ("webhook", "reconcile"):
        function = gcp.cloud_function(model, name)
        waits = [d for entry in gcp.depends_on(function) for d in gcp.blocks(entry)]
        assert sleep["id"] in {d.get("id") for d in waits}, name
    # New accounts mean new grants: the sleep is replaced and waits again.
    accounts = {gcp.account_key(a) for a in gcp.resources(model, "google_service_account")}
    assert set(sleep["triggers"]) == accounts


def test_deploy_facts_name_what_the_preflight_needs(model: gcp.Model) -> None:
    (facts,) = [item["deploy_facts"] for item in model["locals"] if "deploy_facts" in item]
    services = {r["service"] for r in gcp.resources(model, "google_project_service")}
    assert facts["project_id"] == "my-call-logger-project"
    assert facts["firestore_database"] == "(default)"
    assert facts["firestore_location"] == "europe-west1"  # null firestore_location: the region
    # gcloud enables them before apply, with Service Usage, which Terraform's own enabling needs.
    assert set(facts["apis"]) == services | {"serviceusage.googleapis.com"}
    assert "cloudresourcemanager.googleapis.com" in facts["apis"]


def _hcl_blocks(kind: str) -> list[dict[str, Any]]:
    """Blocks tfparse does not model (it skips `import`), read with checkov's HCL parser."""
    import hcl2  # bc-python-hcl2, installed with checkov

    found: list[dict[str, Any]] = []
    for path in sorted(gcp.STACK.glob("*.tf")):
        with path.open() as handle:
            found += hcl2.load(handle).get(kind, [])
    return found


def test_an_existing_database_is_adopted_only_when_it_exists(model: gcp.Model) -> None:
    (block,) = _hcl_blocks("import")
    assert block["to"] == ["${google_firestore_database.this}"]
    assert block["id"] == ["projects/${var.project_id}/databases/${each.value}"]
    # One instance (the configured database) when it exists, none otherwise: an import of a
    # missing object would fail the plan.
    assert block["for_each"] == [
        "${var.firestore_database_exists ? toset(['${var.firestore_database}']) : toset([])}"
    ]
    switch = gcp.variable(model, "firestore_database_exists")
    assert switch["default"] is False
    assert switch["type"] == "bool"


def test_firestore_database_is_native_with_protection_and_pitr_from_variables(
    model: gcp.Model, tmp_path: Path
) -> None:
    db = gcp.resource(model, "google_firestore_database.this")
    assert db["type"] == "FIRESTORE_NATIVE"
    assert db["name"] == "(default)"
    assert db["location_id"] == "europe-west1"  # null firestore_location: the region
    assert db["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
    assert db["deletion_policy"] == "ABANDON"
    assert db["point_in_time_recovery_enablement"] == "POINT_IN_TIME_RECOVERY_ENABLED"
    assert gcp.variable(model, "firestore_point_in_time_recovery")["default"] is True

    other = gcp.resource(
        gcp.load(
            tmp_path,
            firestore_delete_protection="false",
            firestore_point_in_time_recovery="false",
            firestore_location='"eur3"',
        ),
        "google_firestore_database.this",
    )
    assert other["delete_protection_state"] == "DELETE_PROTECTION_DISABLED"
    assert other["deletion_policy"] == "DELETE"
    assert other["point_in_time_recovery_enablement"] == "POINT_IN_TIME_RECOVERY_DISABLED"
    assert other["location_id"] == "eur3"


def test_the_one_composite_index_serves_calls_for_one_chat(model: gcp.Model) -> None:
    # FirestoreStore.recent_records with a chat: chatId == X and eventAt >= since, ordered by
    # eventAt desc, across the `records` collection group. Every other query has one field.
    index = gcp.resource(model, "google_firestore_index.records_by_chat")
    assert (index["collection"], index["query_scope"]) == ("records", "COLLECTION_GROUP")
    fields = [(f["field_path"], f["order"]) for f in gcp.blocks(index["fields"])]
    assert fields == [("chatId", "ASCENDING"), ("eventAt", "DESCENDING")]


def test_event_at_gets_a_collection_group_index_and_keeps_the_collection_ones(
    model: gcp.Model,
) -> None:
    field = next(
        f for f in gcp.resources(model, "google_firestore_field") if f["field"] == "eventAt"
    )
    assert field["collection"] == "records"
    scopes = {(i["query_scope"], i["order"]) for i in gcp.blocks(field["index_config"]["indexes"])}
    assert ("COLLECTION_GROUP", "DESCENDING") in scopes
    assert {("COLLECTION", "ASCENDING"), ("COLLECTION", "DESCENDING")} <= scopes


def test_ttl_policies_on_every_personal_collection_only_with_a_retention(
    model: gcp.Model, tmp_path: Path
) -> None:
    assert gcp.variable(model, "record_retention_days")["default"] == 365
    ttl = [f for f in gcp.resources(model, "google_firestore_field") if f["field"] == "expireAt"]
    assert sorted(f["collection"] for f in ttl) == ["chats", "records", "rejected"]
    for field in ttl:
        assert "ttl_config" in field
        # No index on the TTL field: an empty index_config block.
        assert set(field["index_config"]) <= {"__tfmeta", "id"}
    env = gcp.webhook_env(model)
    assert env["RECORD_RETENTION_DAYS"] == "90"

    forever = gcp.load(tmp_path, record_retention_days="null")
    assert [f["field"] for f in gcp.resources(forever, "google_firestore_field")] == ["eventAt"]
    env = gcp.webhook_env(forever)
    assert "RECORD_RETENTION_DAYS" not in env
