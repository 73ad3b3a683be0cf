"""terraform/gcp offline: who may do what (the accounts and their grants), and the released
addresses a deployed stack keeps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.iac import gcp_stack as gcp


def test_anyone_may_invoke_the_function_service(model: gcp.Model) -> None:
    (binding,) = [
        r
        for r in gcp.resources(model, "google_cloud_run_service_iam_member")
        if r["member"] == "allUsers"
    ]
    assert binding["role"] == "roles/run.invoker"
    assert binding["member"] == "allUsers"
    assert gcp.reference(binding["service"]) == (
        "google_cloudfunctions2_function.this.[webhook].service_config.[0].service"
    )
    assert binding["location"] == "europe-west1"


def _members(model: gcp.Model, kind: str) -> list[tuple[str, str]]:
    """(role, account) of each IAM member resource of a kind."""
    return [(r["role"], gcp.account(model, r["member"])) for r in gcp.resources(model, kind)]


def test_runtime_account_has_only_firestore_and_its_own_secrets(model: gcp.Model) -> None:
    runtime = "runtime"
    project_roles = _members(model, "google_project_iam_member")
    assert [role for role, member in project_roles if member == runtime] == ["roles/datastore.user"]
    secret_grants = [
        r
        for r in gcp.resources(model, "google_secret_manager_secret_iam_member")
        if gcp.account(model, r["member"]) == runtime
    ]
    assert {
        (r["secret_id"], r["role"], gcp.account(model, r["member"])) for r in secret_grants
    } == {
        ("green-call-logger-webhook-token", "roles/secretmanager.secretAccessor", runtime),
        ("green-call-logger-green-api-token", "roles/secretmanager.secretAccessor", runtime),
    }
    for kind in model:
        if kind.endswith(("_iam_binding", "_iam_policy")):
            pytest.fail(f"{kind} would take over other members' grants")


def test_build_account_roles(model: gcp.Model) -> None:
    build = "build"
    project_roles = _members(model, "google_project_iam_member")
    assert [role for role, member in project_roles if member == build] == ["roles/run.builder"]
    assert _members(model, "google_storage_bucket_iam_member") == [
        ("roles/storage.objectViewer", build)
    ]
    function = gcp.cloud_function(model, "webhook")
    # tfparse resolves `.id` to its own identifier of the referenced resource.
    builder = gcp.resource(model, 'google_service_account.this["build"]')
    assert function["build_config"]["service_account"] == builder["id"]


# What the last release (783d1f1) deployed, with every switch on (alert_email; events came
# later): `git grep -E '^resource ' 783d1f1 -- terraform/gcp`, as tfparse names the instances.
RELEASED = {
    "google_cloud_run_service_iam_member.public_invoker",
    "google_cloud_run_service_iam_member.scheduler_invoker[0]",
    "google_cloud_scheduler_job.reconcile[0]",
    "google_cloudfunctions2_function.webhook",
    "google_cloudfunctions2_function.reconcile[0]",
    "google_firestore_database.this",
    "google_firestore_field.records_event_at",
    "google_firestore_field.chats_expire_at[0]",
    "google_firestore_field.records_expire_at[0]",
    "google_firestore_field.rejected_expire_at[0]",
    "google_firestore_index.records_by_chat",
    'google_logging_metric.this["instance-state-error"]',
    'google_logging_metric.this["missing-calls"]',
    'google_logging_metric.this["rejected"]',
    'google_monitoring_alert_policy.this["instance-state-error"]',
    'google_monitoring_alert_policy.this["missing-calls"]',
    'google_monitoring_alert_policy.this["rejected"]',
    'google_monitoring_alert_policy.this["webhook-5xx"]',
    "google_monitoring_notification_channel.email[0]",
    "google_project_iam_member.build_run_builder",
    "google_project_iam_member.runtime_datastore_user",
    *(
        f'google_project_service.this["{api}.googleapis.com"]'
        for api in (
            "artifactregistry",
            "cloudbuild",
            "cloudfunctions",
            "cloudresourcemanager",
            "cloudscheduler",
            "firestore",
            "iam",
            "logging",
            "monitoring",
            "run",
            "secretmanager",
            "storage",
        )
    ),
    "google_secret_manager_secret.green_api_token",
    "google_secret_manager_secret.webhook_token",
    "google_secret_manager_secret_iam_member.runtime_green_api_token",
    "google_secret_manager_secret_iam_member.runtime_webhook_token",
    "google_secret_manager_secret_version.green_api_token",
    "google_secret_manager_secret_version.webhook_token",
    "google_service_account.build",
    "google_service_account.runtime",
    "google_service_account.scheduler[0]",
    "google_storage_bucket.source",
    "google_storage_bucket_iam_member.build_source_reader",
    "google_storage_bucket_object.source",
    "random_id.bucket_suffix",
    "terraform_data.generated_webhook_token[0]",
    "time_sleep.apis_enabled",
    "time_sleep.grants_propagated",
}
# The index left its map before that release, which keeps the block (firestore.tf).
RELEASED_EARLIER = {'google_firestore_index.records["chat_id"]'}
MOVED = re.compile(r"moved\s*\{\s*from\s*=\s*(\S+)\s*to\s*=\s*(\S+)\s*\}")


def test_a_deployed_stack_keeps_every_released_resource(tmp_path: Path) -> None:
    """A released address that is gone without a `moved` block would destroy the deployed
    resource (an account, its grants, a secret and its versions, a function) and create it again;
    an address that never reached a release needs no block."""
    moved = dict(MOVED.findall("\n".join(f.read_text() for f in gcp.STACK.glob("*.tf"))))
    model = gcp.load(
        tmp_path, events_url='"https://crm.example/hooks"', alert_email='"oncall@example.com"'
    )
    addresses = {r["__tfmeta"]["path"] for items in model.values() for r in items}
    assert {moved.get(address, address) for address in RELEASED} <= addresses
    assert set(moved) <= RELEASED | RELEASED_EARLIER
    assert set(moved.values()) <= addresses


def test_no_basic_roles_anywhere(model: gcp.Model) -> None:
    for kind, items in model.items():
        if kind.endswith("_iam_member"):
            for item in items:
                assert item["role"] not in ("roles/owner", "roles/editor", "roles/viewer")
