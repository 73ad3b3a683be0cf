"""The Google Cloud stack (terraform/gcp), checked offline with tfparse.

tfparse evaluates the configuration without providers: variables (from terraform.tfvars.example
plus any override file), locals, count/for_each and validation conditions. Values only known
after apply (resource attributes) come back as {"__attribute__": "<reference>"}.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from tfparse import load_from_path

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "terraform" / "gcp"
SETTINGS = ROOT / "function" / "call_logger" / "settings"

Model = Mapping[str, list[dict[str, Any]]]


def load(tmp_path: Path | None = None, **overrides: str) -> Model:
    """Parse the stack with the example variables, then `overrides` (name -> HCL expression)."""
    vars_paths = ["terraform.tfvars.example"]
    if overrides:
        assert tmp_path is not None
        override_file = tmp_path / "override.tfvars"
        override_file.write_text("".join(f"{k} = {v}\n" for k, v in overrides.items()))
        # tfparse joins vars paths onto the module directory, so they must be relative to it.
        vars_paths.append(os.path.relpath(override_file, STACK))
    return load_from_path(STACK, vars_paths=vars_paths, stop_on_hcl_error=True)


def resources(model: Model, kind: str) -> list[dict[str, Any]]:
    return model.get(kind, [])


def resource(model: Model, address: str) -> dict[str, Any]:
    kind = address.removeprefix("data.").split(".")[0]
    found = [r for r in resources(model, kind) if r["__tfmeta"]["path"].startswith(address)]
    assert len(found) == 1, f"expected one {address}, found {len(found)}"
    return found[0]


ACCOUNT_REFERENCE = re.compile(r"google_service_account\.this\.\[(\w+)\]\.(?:member|email|name)")
ACCOUNT_MEMBER = re.compile(r"serviceAccount:([a-z0-9-]+)@[a-z0-9-]+\.iam\.gserviceaccount\.com")


def account(model: Model, value: Any) -> str:
    """Which of the stack's service accounts (its key in iam.tf) a value names: a reference to
    google_service_account.this[key], or the member text iam.tf gives the keyed grants."""
    if isinstance(value, dict):
        match = ACCOUNT_REFERENCE.fullmatch(reference(value))
        assert match, f"not a service account: {value!r}"
        return match.group(1)
    match = ACCOUNT_MEMBER.fullmatch(str(value))
    assert match, f"not a service account member: {value!r}"
    (key,) = [
        account_key(r)
        for r in resources(model, "google_service_account")
        if r["account_id"] == match.group(1)
    ]
    return key


def account_key(account: dict[str, Any]) -> str:
    """The key of a google_service_account.this instance."""
    path: str = account["__tfmeta"]["path"]
    return path.removeprefix('google_service_account.this["').removesuffix('"]')


def webhook_env(model: Model) -> dict[str, str]:
    """The webhook function's plain environment variables."""
    env: dict[str, str] = resource(model, "google_cloudfunctions2_function.webhook")[
        "service_config"
    ]["environment_variables"]
    return env


def blocks(value: Any) -> list[dict[str, Any]]:
    """A nested block is a dict when it appears once and a list when repeated."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def reference(value: Any) -> str:
    """The Terraform reference behind a value known only after apply."""
    assert isinstance(value, dict) and "__attribute__" in value, f"not a reference: {value!r}"
    return str(value["__attribute__"])


def variable(model: Model, name: str) -> dict[str, Any]:
    found = [v for v in model["variable"] if v["__tfmeta"]["label"] == name]
    assert len(found) == 1, name
    return found[0]


def conditions(model: Model, name: str) -> Iterator[Any]:
    for validation in blocks(variable(model, name).get("validation")):
        yield validation["condition"]


@pytest.fixture(scope="module")
def model() -> Model:
    return load()


# --- APIs and Firestore --------------------------------------------------------------------


def test_enables_the_apis_and_keeps_them_on_destroy(model: Model) -> None:
    services = {r["service"]: r for r in resources(model, "google_project_service")}
    for api in ("cloudfunctions", "run", "cloudbuild", "artifactregistry", "firestore"):
        assert f"{api}.googleapis.com" in services
    assert "secretmanager.googleapis.com" in services
    assert all(r["disable_on_destroy"] is False for r in services.values())


def _depends_on(item: dict[str, Any]) -> list[dict[str, Any]]:
    """tfparse inlines each depends_on entry as the referenced resource (or, for a for_each
    resource, a map of its instances)."""
    return blocks(item.get("depends_on"))


def _waits_on(item: dict[str, Any], sleep: dict[str, Any]) -> bool:
    return any(d.get("id") == sleep["id"] for d in _depends_on(item))


def _duration_seconds(text: str) -> int:
    match = re.fullmatch(r"(\d+)s", text)
    assert match, f"not a duration in seconds: {text!r}"
    return int(match.group(1))


def test_everything_that_uses_an_api_waits_until_the_apis_are_usable(model: Model) -> None:
    sleep = resource(model, "time_sleep.apis_enabled")
    # Google: enabling returns before the API is usable everywhere.
    assert _duration_seconds(sleep["create_duration"]) >= 60
    (enabled,) = _depends_on(sleep)  # the for_each resource, as a map of its instances
    assert set(enabled) == {r["service"] for r in resources(model, "google_project_service")}
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
        assert _waits_on(resource(model, address), sleep), address


def test_every_function_waits_until_every_grant_has_propagated(model: Model) -> None:
    sleep = resource(model, "time_sleep.grants_propagated")
    assert _duration_seconds(sleep["create_duration"]) >= 60
    grants = {
        r["id"]
        for kind in model
        if kind.endswith("_iam_member") and kind != "google_cloud_run_service_iam_member"
        for r in resources(model, kind)
    }
    # tfparse inlines a keyed resource as a map of its instances, a counted one as a list.
    waited = set()
    for entry in _depends_on(sleep):
        for item in blocks(entry):
            instances = item.values() if "id" not in item else [item]
            waited |= {i["id"] for i in instances if isinstance(i, dict) and "id" in i}
    assert grants <= waited
    for name in ("webhook", "reconcile"):
        function = resource(model, f"google_cloudfunctions2_function.{name}")
        waits = [d for entry in _depends_on(function) for d in blocks(entry)]
        assert sleep["id"] in {d.get("id") for d in waits}, name
    # New accounts mean new grants: the sleep is replaced and waits again.
    accounts = {account_key(a) for a in resources(model, "google_service_account")}
    assert set(sleep["triggers"]) == accounts


def test_deploy_facts_name_what_the_preflight_needs(model: Model) -> None:
    (facts,) = [item["deploy_facts"] for item in model["locals"] if "deploy_facts" in item]
    services = {r["service"] for r in resources(model, "google_project_service")}
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
    for path in sorted(STACK.glob("*.tf")):
        with path.open() as handle:
            found += hcl2.load(handle).get(kind, [])
    return found


def test_an_existing_database_is_adopted_only_when_it_exists(model: Model) -> None:
    (block,) = _hcl_blocks("import")
    assert block["to"] == ["${google_firestore_database.this}"]
    assert block["id"] == ["projects/${var.project_id}/databases/${each.value}"]
    # One instance (the configured database) when it exists, none otherwise: an import of a
    # missing object would fail the plan.
    assert block["for_each"] == [
        "${var.firestore_database_exists ? toset(['${var.firestore_database}']) : toset([])}"
    ]
    switch = variable(model, "firestore_database_exists")
    assert switch["default"] is False
    assert switch["type"] == "bool"


def test_firestore_database_is_native_with_protection_and_pitr_from_variables(
    model: Model, tmp_path: Path
) -> None:
    db = resource(model, "google_firestore_database.this")
    assert db["type"] == "FIRESTORE_NATIVE"
    assert db["name"] == "(default)"
    assert db["location_id"] == "europe-west1"  # null firestore_location: the region
    assert db["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"
    assert db["deletion_policy"] == "ABANDON"
    assert db["point_in_time_recovery_enablement"] == "POINT_IN_TIME_RECOVERY_ENABLED"
    assert variable(model, "firestore_point_in_time_recovery")["default"] is True

    other = resource(
        load(
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


def test_the_one_composite_index_serves_calls_for_one_chat(model: Model) -> None:
    # FirestoreStore.recent_records with a chat: chatId == X and eventAt >= since, ordered by
    # eventAt desc, across the `records` collection group. Every other query has one field.
    index = resource(model, "google_firestore_index.records_by_chat")
    assert (index["collection"], index["query_scope"]) == ("records", "COLLECTION_GROUP")
    fields = [(f["field_path"], f["order"]) for f in blocks(index["fields"])]
    assert fields == [("chatId", "ASCENDING"), ("eventAt", "DESCENDING")]


def test_event_at_gets_a_collection_group_index_and_keeps_the_collection_ones(
    model: Model,
) -> None:
    field = next(f for f in resources(model, "google_firestore_field") if f["field"] == "eventAt")
    assert field["collection"] == "records"
    scopes = {(i["query_scope"], i["order"]) for i in blocks(field["index_config"]["indexes"])}
    assert ("COLLECTION_GROUP", "DESCENDING") in scopes
    assert {("COLLECTION", "ASCENDING"), ("COLLECTION", "DESCENDING")} <= scopes


def test_ttl_policies_on_every_personal_collection_only_with_a_retention(
    model: Model, tmp_path: Path
) -> None:
    assert variable(model, "record_retention_days")["default"] == 365
    ttl = [f for f in resources(model, "google_firestore_field") if f["field"] == "expireAt"]
    assert sorted(f["collection"] for f in ttl) == ["chats", "records", "rejected"]
    for field in ttl:
        assert "ttl_config" in field
        # No index on the TTL field: an empty index_config block.
        assert set(field["index_config"]) <= {"__tfmeta", "id"}
    env = webhook_env(model)
    assert env["RECORD_RETENTION_DAYS"] == "90"

    forever = load(tmp_path, record_retention_days="null")
    assert [f["field"] for f in resources(forever, "google_firestore_field")] == ["eventAt"]
    env = webhook_env(forever)
    assert "RECORD_RETENTION_DAYS" not in env


# --- The function ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def function(model: Model) -> dict[str, Any]:
    return resource(model, "google_cloudfunctions2_function.webhook")


def test_function_build(function: dict[str, Any]) -> None:
    build = function["build_config"]
    assert build["entry_point"] == "handle_webhook"
    assert build["runtime"] == "python312"
    source = build["source"]["storage_source"]
    assert reference(source["object"]) == "google_storage_bucket_object.source.name"
    # The uploaded object's generation, so each upload is the one that gets built.
    assert reference(source["generation"]) == "google_storage_bucket_object.source.generation"
    assert function["location"] == "europe-west1"


def test_function_service_settings(function: dict[str, Any], model: Model) -> None:
    service = function["service_config"]
    assert service["ingress_settings"] == "ALLOW_ALL"
    assert service["available_memory"] == "256M"
    assert service["timeout_seconds"] == 60
    assert service["min_instance_count"] == 0
    assert service["max_instance_count"] == 10
    assert service["max_instance_request_concurrency"] == 1
    assert account(model, service["service_account_email"]) == "runtime"


def _config_env_names() -> set[str]:
    """Every environment variable name the settings package (Config.from_env) reads."""
    source = "\n".join(path.read_text() for path in SETTINGS.glob("*.py"))
    return set(re.findall(r"""\b(?:get|read)\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))


def test_plain_environment_matches_the_config_contract(function: dict[str, Any]) -> None:
    env = function["service_config"]["environment_variables"]
    assert set(env) <= _config_env_names()
    assert env == {
        "CALL_MODE": "all",
        "GREEN_API_ID_INSTANCE": "1101000001",
        "GREEN_API_URL": "https://api.green-api.com",
        "CALL_LABELS": '{"missed":"Missed call"}',
        "RECORD_RETENTION_DAYS": "90",
        "GOOGLE_CLOUD_PROJECT": "my-call-logger-project",
        "FIRESTORE_DATABASE": "(default)",
        "CONTACT_CACHE_TTL": "24h",
        "LOG_LEVEL": "INFO",
        "LOG_CHAT_IDS": "masked",
        "TIMEZONE": "UTC",
    }


def test_optional_settings_appear_when_set(tmp_path: Path) -> None:
    model = load(
        tmp_path,
        operator_chat_id='"79001234567@c.us"',
        call_labels="{}",
        call_mode='"results"',
    )
    env = webhook_env(model)
    assert env["OPERATOR_CHAT_ID"] == "79001234567@c.us"
    assert env["CALL_MODE"] == "results"
    assert "CALL_LABELS" not in env


def test_reply_settings_appear_when_a_reply_is_set(tmp_path: Path) -> None:
    model = load(
        tmp_path,
        missed_call_reply='"Sorry we missed your call, {name}."',
        missed_call_reply_after_hours='"We open at 9."',
        missed_call_reply_on='["missed", "hangUp"]',
        business_hours='"mon-fri 09:00-18:00"',
        timezone='"Europe/Berlin"',
        operator_chat_id='"79001234567@c.us"',
        operator_notify_on='["offer", "missed"]',
    )
    env = webhook_env(model)
    assert set(env) <= _config_env_names()
    assert {name: value for name, value in env.items() if "REPLY" in name or "NOTIFY" in name} == {
        "MISSED_CALL_REPLY": "Sorry we missed your call, {name}.",
        "MISSED_CALL_REPLY_AFTER_HOURS": "We open at 9.",
        "MISSED_CALL_REPLY_ON": "missed,hangUp",
        "MISSED_CALL_REPLY_COOLDOWN": "12h",
        "MISSED_CALL_REPLY_MAX_AGE": "15m",
        "OPERATOR_NOTIFY_ON": "offer,missed",
    }
    assert (env["BUSINESS_HOURS"], env["TIMEZONE"]) == ("mon-fri 09:00-18:00", "Europe/Berlin")


def test_tokens_are_secret_environment_variables_never_plain_ones(
    model: Model, function: dict[str, Any]
) -> None:
    service = function["service_config"]
    assert not {"WEBHOOK_TOKEN", "GREEN_API_TOKEN"} & set(service["environment_variables"])
    assert {"WEBHOOK_TOKEN", "GREEN_API_TOKEN"} <= _config_env_names()

    secrets = {s["key"]: s for s in blocks(service["secret_environment_variables"])}
    assert set(secrets) == {"WEBHOOK_TOKEN", "GREEN_API_TOKEN"}
    ids = {
        r["__tfmeta"]["path"]: r["secret_id"]
        for r in resources(model, "google_secret_manager_secret")
    }
    assert (
        secrets["WEBHOOK_TOKEN"]["secret"]
        == ids['google_secret_manager_secret.this["webhook_token"]']
    )
    assert (
        secrets["GREEN_API_TOKEN"]["secret"]
        == ids['google_secret_manager_secret.this["green_api_token"]']
    )
    # The webhook token is pinned to the version Terraform wrote, so a new value redeploys the
    # function; the GREEN-API secret is read as its latest version at each cold start.
    assert reference(secrets["WEBHOOK_TOKEN"]["version"]) == (
        "google_secret_manager_secret_version.this.[webhook_token].version"
    )
    assert secrets["GREEN_API_TOKEN"]["version"] == "latest"
    assert {secret["project_id"] for secret in secrets.values()} == {"my-call-logger-project"}


def test_a_new_secret_value_is_created_before_the_old_version_is_destroyed(model: Model) -> None:
    versions = resources(model, "google_secret_manager_secret_version")
    assert len(versions) == 2
    for version in versions:
        # secret_data cannot change in place: without this the old version would be destroyed
        # while the function still points at it.
        assert version["lifecycle"]["create_before_destroy"] is True, version["__tfmeta"]["path"]


def test_token_variables_are_sensitive_and_the_webhook_token_is_generated(model: Model) -> None:
    assert variable(model, "webhook_token")["sensitive"] is True
    assert variable(model, "green_api_token")["sensitive"] is True
    # Generated once (settings.tf), the same way as on AWS, and kept: a new uuid() at each plan
    # is ignored.
    generated = resource(model, "terraform_data.generated_webhook_token")
    assert generated["input"] == "(sensitive value)"
    outputs = {o["__tfmeta"]["label"]: o for o in model["output"]}
    assert outputs["webhook_token"]["sensitive"] is True
    assert outputs["green_api_token"]["sensitive"] is True
    assert variable(model, "green_api_instances")["sensitive"] is True
    assert outputs["green_api_instances"]["sensitive"] is True


# --- Alerts ---------------------------------------------------------------------------------


def test_no_alerting_resources_without_an_email(model: Model) -> None:
    for kind in ("google_monitoring_notification_channel", "google_monitoring_alert_policy"):
        assert resources(model, kind) == []
    assert resources(model, "google_logging_metric") == []


def test_alerts_mail_the_address_for_each_condition(tmp_path: Path) -> None:
    model = load(tmp_path, alert_email='"oncall@example.com"')
    (channel,) = resources(model, "google_monitoring_notification_channel")
    assert channel["type"] == "email"
    assert channel["labels"] == {"email_address": "oncall@example.com"}
    sleep = resource(model, "time_sleep.apis_enabled")
    assert _waits_on(channel, sleep)
    assert all(_waits_on(m, sleep) for m in resources(model, "google_logging_metric"))

    metrics = {m["name"]: m["filter"] for m in resources(model, "google_logging_metric")}
    function_lines = (
        'resource.type="cloud_run_revision" AND resource.labels.service_name="green-call-logger"'
    )
    # A state and a backlog are also found by the scheduled run's health check.
    both_functions = (
        'resource.type="cloud_run_revision" AND resource.labels.service_name=('
        '"green-call-logger" OR "green-call-logger-reconcile")'
    )
    assert metrics["green-call-logger-rejected"].startswith(function_lines)
    assert metrics["green-call-logger-instance-state-error"].startswith(both_functions)
    assert metrics["green-call-logger-instance-state-error"].endswith(
        'jsonPayload.event="instance.state" AND severity=ERROR'
    )
    assert metrics["green-call-logger-webhook-backlog"].startswith(both_functions)
    assert metrics["green-call-logger-webhook-backlog"].endswith(
        'jsonPayload.event="instance.webhook_backlog"'
    )
    assert metrics["green-call-logger-rejected"].endswith('jsonPayload.outcome="rejected"')
    assert metrics["green-call-logger-missing-calls"].endswith(
        'jsonPayload.event="reconcile.missing_calls"'
    )

    policies = {p["display_name"]: p for p in resources(model, "google_monitoring_alert_policy")}
    assert len(policies) == 5
    by_filter = {}
    for policy in policies.values():
        (condition,) = blocks(policy["conditions"])
        threshold = condition["condition_threshold"]
        by_filter[threshold["filter"]] = (threshold["duration"], policy)
        # tfparse resolves `.id` to its own identifier of the referenced resource.
        assert policy["notification_channels"] == [channel["id"]]
        # The mail says what broke and what to do.
        assert len(policy["documentation"]["content"]) > 200
    five_xx = [f for f in by_filter if "run.googleapis.com/request_count" in f]
    (five_xx_filter,) = five_xx
    assert 'metric.labels.response_code_class="5xx"' in five_xx_filter
    assert by_filter[five_xx_filter][0] == "300s"  # 5xx for 5 minutes, not one resend
    for name in metrics:
        metric = f'metric.type="logging.googleapis.com/user/{name}"'
        assert f'resource.type="cloud_run_revision" AND {metric}' in by_filter


def test_monitoring_apis_are_enabled(model: Model) -> None:
    services = {r["service"] for r in resources(model, "google_project_service")}
    assert {"logging.googleapis.com", "monitoring.googleapis.com"} <= services


# --- Access ---------------------------------------------------------------------------------


def test_anyone_may_invoke_the_function_service(model: Model) -> None:
    (binding,) = [
        r
        for r in resources(model, "google_cloud_run_service_iam_member")
        if r["member"] == "allUsers"
    ]
    assert binding["role"] == "roles/run.invoker"
    assert binding["member"] == "allUsers"
    assert reference(binding["service"]) == (
        "google_cloudfunctions2_function.webhook.service_config.[0].service"
    )
    assert binding["location"] == "europe-west1"


def _members(model: Model, kind: str) -> list[tuple[str, str]]:
    """(role, account) of each IAM member resource of a kind."""
    return [(r["role"], account(model, r["member"])) for r in resources(model, kind)]


def test_runtime_account_has_only_firestore_and_its_own_secrets(model: Model) -> None:
    runtime = "runtime"
    project_roles = _members(model, "google_project_iam_member")
    assert [role for role, member in project_roles if member == runtime] == ["roles/datastore.user"]
    secret_grants = [
        r
        for r in resources(model, "google_secret_manager_secret_iam_member")
        if account(model, r["member"]) == runtime
    ]
    assert {(r["secret_id"], r["role"], account(model, r["member"])) for r in secret_grants} == {
        ("green-call-logger-webhook-token", "roles/secretmanager.secretAccessor", runtime),
        ("green-call-logger-green-api-token", "roles/secretmanager.secretAccessor", runtime),
    }
    for kind in model:
        if kind.endswith(("_iam_binding", "_iam_policy")):
            pytest.fail(f"{kind} would take over other members' grants")


def test_build_account_roles(model: Model) -> None:
    build = "build"
    project_roles = _members(model, "google_project_iam_member")
    assert [role for role, member in project_roles if member == build] == ["roles/run.builder"]
    assert _members(model, "google_storage_bucket_iam_member") == [
        ("roles/storage.objectViewer", build)
    ]
    function = resource(model, "google_cloudfunctions2_function.webhook")
    # tfparse resolves `.id` to its own identifier of the referenced resource.
    builder = resource(model, 'google_service_account.this["build"]')
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
    moved = dict(MOVED.findall("\n".join(f.read_text() for f in STACK.glob("*.tf"))))
    model = load(
        tmp_path, events_url='"https://crm.example/hooks"', alert_email='"oncall@example.com"'
    )
    addresses = {r["__tfmeta"]["path"] for items in model.values() for r in items}
    assert {moved.get(address, address) for address in RELEASED} <= addresses
    assert set(moved) <= RELEASED | RELEASED_EARLIER
    assert set(moved.values()) <= addresses


def test_no_basic_roles_anywhere(model: Model) -> None:
    for kind, items in model.items():
        if kind.endswith("_iam_member"):
            for item in items:
                assert item["role"] not in ("roles/owner", "roles/editor", "roles/viewer")


# --- Source ---------------------------------------------------------------------------------


def test_source_bucket_is_private(model: Model) -> None:
    bucket = resource(model, "google_storage_bucket.source")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["location"] == "europe-west1"


def test_source_is_the_function_folder_named_by_its_hash(model: Model) -> None:
    archive = resource(model, "data.archive_file.function")
    assert archive["type"] == "zip"
    assert (STACK / archive["source_dir"]).resolve() == ROOT / "function"
    obj = resource(model, "google_storage_bucket_object.source")
    assert "data.archive_file.function.output_sha256" in obj["name"]


# --- Reconcile: a private second function and its Cloud Scheduler job ------------------------


def test_reconcile_is_a_second_function_from_the_same_source(
    model: Model, function: dict[str, Any]
) -> None:
    reconcile = resource(model, "google_cloudfunctions2_function.reconcile")
    assert reconcile["name"] == "green-call-logger-reconcile"
    build = reconcile["build_config"]
    assert build["entry_point"] == "reconcile_calls"
    source = build["source"]["storage_source"]
    assert source["bucket"] == function["build_config"]["source"]["storage_source"]["bucket"]
    assert reference(source["object"]) == "google_storage_bucket_object.source.name"
    service = reconcile["service_config"]
    # The webhook's settings, and where its tasks go (test_terraform_gcp_tasks.py).
    webhook_env = function["service_config"]["environment_variables"]
    assert {k: v for k, v in service["environment_variables"].items() if k in webhook_env} == (
        webhook_env
    )
    assert account(model, service["service_account_email"]) == "reconcile"
    # The GREEN-API secret as the webhook reads it; never the webhook token.
    assert _secret_environment(reconcile) == {
        "GREEN_API_TOKEN": _secret_environment(function)["GREEN_API_TOKEN"]
    }
    assert service["max_instance_count"] == 10  # reconcile_concurrency


def _secret_environment(function: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """A function's secret environment variables: name -> (project, secret, version)."""
    return {
        s["key"]: (s["project_id"], s["secret"], s["version"])
        for s in blocks(function["service_config"]["secret_environment_variables"])
    }


def test_the_reconcile_function_reads_the_instance_map_as_the_webhook_does(
    tmp_path: Path,
) -> None:
    model = many(tmp_path)
    webhook, reconcile = (
        _secret_environment(resource(model, f"google_cloudfunctions2_function.{name}"))
        for name in ("webhook", "reconcile")
    )
    assert reconcile == {"GREEN_API_INSTANCES": webhook["GREEN_API_INSTANCES"]}


def test_only_the_scheduler_and_tasks_accounts_may_invoke_the_reconcile_function(
    model: Model,
) -> None:
    bindings = [
        r
        for r in resources(model, "google_cloud_run_service_iam_member")
        if "reconcile" in reference(r["service"])
    ]
    assert sorted((b["role"], account(model, b["member"])) for b in bindings) == [
        ("roles/run.invoker", "scheduler"),
        ("roles/run.invoker", "tasks"),
    ]
    for kind in model:
        if kind.endswith("_iam_member") and kind != "google_cloud_run_service_iam_member":
            members = [account(model, r["member"]) for r in resources(model, kind)]
            assert "scheduler" not in members, kind


def test_the_scheduler_job_posts_the_reconcile_event_with_an_oidc_token(model: Model) -> None:
    job = resource(model, "google_cloud_scheduler_job.reconcile")
    assert job["schedule"] == "0 * * * *"
    assert job["time_zone"] == "Etc/UTC"
    target = job["http_target"]
    assert target["http_method"] == "POST"
    assert json.loads(base64.b64decode(target["body"])) == {"action": "reconcile", "since": "3h"}
    assert target["headers"] == {"Content-Type": "application/json"}
    oidc = target["oidc_token"]
    assert account(model, oidc["service_account_email"]) == "scheduler"
    uri = "google_cloudfunctions2_function.reconcile.[0].service_config.[0].uri"
    assert reference(target["uri"]) == uri
    assert reference(oidc["audience"]) == uri
    assert "cloudscheduler.googleapis.com" in {
        r["service"] for r in resources(model, "google_project_service")
    }


def test_reconcile_window_and_schedule_are_variables(tmp_path: Path) -> None:
    model = load(tmp_path, reconcile_window='"90m"', reconcile_schedule='"*/30 * * * *"')
    job = resource(model, "google_cloud_scheduler_job.reconcile")
    assert job["schedule"] == "*/30 * * * *"
    body = json.loads(base64.b64decode(job["http_target"]["body"]))
    assert body == {"action": "reconcile", "since": "90m"}


def test_reconcile_can_be_turned_off(tmp_path: Path) -> None:
    model = load(tmp_path, reconcile_enabled="false")
    for kind in ("google_cloud_scheduler_job", "google_service_account"):
        assert all("reconcile" not in r["__tfmeta"]["path"] for r in resources(model, kind))
    functions = [r["__tfmeta"]["path"] for r in resources(model, "google_cloudfunctions2_function")]
    assert functions == ["google_cloudfunctions2_function.webhook"]
    assert resources(model, "google_cloud_scheduler_job") == []


# --- Outputs --------------------------------------------------------------------------------


def test_outputs(model: Model) -> None:
    outputs = {o["__tfmeta"]["label"]: o for o in model["output"]}
    assert {
        "webhook_url",
        "firestore_console_url",
        "webhook_token_secret",
        "service_account_email",
        "webhook_token",
    } <= set(outputs)
    assert reference(outputs["webhook_url"]["value"]) == (
        "google_cloudfunctions2_function.webhook.url"
    )
    assert outputs["firestore_console_url"]["value"] == (
        "https://console.cloud.google.com/firestore/databases/-default-/data/panel/chats"
        "?project=my-call-logger-project"
    )
    assert outputs["webhook_token_secret"]["value"] == "green-call-logger-webhook-token"


def test_console_link_names_a_named_database(tmp_path: Path) -> None:
    model = load(tmp_path, firestore_database='"call-logger"')
    (link,) = [
        o["value"] for o in model["output"] if o["__tfmeta"]["label"] == "firestore_console_url"
    ]
    assert link.startswith("https://console.cloud.google.com/firestore/databases/call-logger/data/")


# --- Validation -----------------------------------------------------------------------------


def test_the_example_passes_every_validation(model: Model) -> None:
    for item in model["variable"]:
        for condition in conditions(model, item["__tfmeta"]["label"]):
            assert condition is True, item["__tfmeta"]["label"]


# name -> (a bad value, a good value), as HCL expressions. tfparse does not stop on a failed
# validation: it reports the evaluated condition, so a rejected value shows as False.
CASES: dict[str, tuple[str, str]] = {
    "project_id": ('"My_Project"', '"my-project-123"'),
    "region": ('"europe west1"', '"us-central1"'),
    "function_name": ('"Call-Logger-"', '"call-logger"'),
    "firestore_database": ('"Calls_DB"', '"calls-db"'),
    "firestore_location": ('"Europe"', '"nam5"'),
    "record_retention_days": ("0", "30"),
    "events_url": ('"http://crm.example/hooks"', '"https://crm.example/hooks"'),
    "events_secret": ('"plain-secret"', '"whsec_' + "a" * 44 + '"'),
    "call_mode": ('"everything"', '"offer"'),
    "call_labels": ('{ rejected = "Rejected" }', '{ answered = "Answered" }'),
    "green_api_id_instance": ("1.5", "7103000000"),
    "green_api_url": ('"http://api.green-api.com"', '"https://7103.api.greenapi.com"'),
    "green_api_token": ('"short"', '"0123456789abcdef0123456789abcdef"'),
    # With the example's green_api_id_instance and green_api_token, a non-empty map is refused
    # ("not both"); the good value is the empty map.
    "green_api_instances": (
        '{ "1" = { apiUrl = "https://a.b", apiTokenInstance = "0123456789" } }',
        "{}",
    ),
    "webhook_token": ('"too short"', '"an-adequately-long-webhook-token-0123"'),
    "environment_variables": ('{ CALL_MODE = "offer" }', '{ STORE_TIMEOUT = "5s" }'),
    "contact_cache_ttl": ('"1 week"', '"15m"'),
    "operator_chat_id": ('"120363000000000000@g.us"', '"79001234567@c.us"'),
    "operator_notify_on": ('["offer", "rang"]', '["offer", "missed", "hangUp"]'),
    "missed_call_reply": ('"Hi {first_name}"', '"Sorry we missed your call, {name}."'),
    "missed_call_reply_after_hours": ('"We open at {opening}"', '"We open at 9, {name}."'),
    "missed_call_reply_on": ("[]", '["missed", "declined"]'),
    "missed_call_reply_cooldown": ('"half a day"', '"12h"'),
    "missed_call_reply_max_age": ('"0m"', '"15m"'),
    "business_hours": ('"9-18"', '"mon-fri 09:00-18:00, Sat 10:00-14:00"'),
    "timezone": ('"Berlin"', '"America/Argentina/Buenos_Aires"'),
    # A time is accepted with somewhere to send it (test_a_digest_needs_a_chat_and_the_schedule).
    "digest_time": ('"9am"', '""'),
    "callback_target": ('"0m"', '"30m"'),
    "webhook_backlog_alert": ("2.5", "250"),
    "runtime": ('"python311"', '"python313"'),
    "memory": ('"256MB"', '"512Mi"'),
    "cpu": ('"lots"', '"1"'),
    "timeout_seconds": ("600", "120"),
    "min_instance_count": ("-1", "1"),
    "max_instance_count": ("0", "3"),
    "max_instance_request_concurrency": ("0", "1"),
    "reconcile_schedule": ('"hourly"', '"*/30 * * * *"'),
    "reconcile_window": ('"3 hours"', '"90m"'),
    "reconcile_concurrency": ("0", "20"),
    "missed_call_reply_max_per_hour": ("0", "30"),
    "operator_notify_max_per_hour": ("1.5", "60"),
    "log_level": ('"LOUD"', '"DEBUG"'),
    "log_chat_ids": ('"some"', '"full"'),
    "alert_email": ('"nobody"', '"oncall@example.com"'),
}


# The regions where the stack's services are all offered: its own list (regions.tf). Refusing the
# others is tests/iac/test_gcp_deploy_once.py's.
CLOUD_RUN_REGIONS: list[str] = next(
    block["supported_regions"] for block in load()["locals"] if "supported_regions" in block
)
# Firestore's multi-region locations (its regional ones are the regions above).
FIRESTORE_MULTI_REGIONS = ["eur3", "nam5", "nam7"]
# Google's Python runtimes for Cloud Run functions that the function supports (3.12 and later).
PYTHON_RUNTIMES = ["python312", "python313", "python314"]


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("region", CLOUD_RUN_REGIONS),
        ("firestore_location", CLOUD_RUN_REGIONS + FIRESTORE_MULTI_REGIONS),
        ("runtime", PYTHON_RUNTIMES),
    ],
)
def test_validation_accepts_every_value_google_lists(
    name: str, values: list[str], tmp_path: Path
) -> None:
    refused = []
    for value in values:
        if not all(c is True for c in conditions(load(tmp_path, **{name: f'"{value}"'}), name)):
            refused.append(value)
    assert refused == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_validation_rejects_a_bad_value_and_accepts_a_good_one(name: str, tmp_path: Path) -> None:
    bad, good = CASES[name]
    bad_model = load(tmp_path, **{name: bad})
    assert False in list(conditions(bad_model, name)), f"{name} = {bad} was accepted"
    good_model = load(tmp_path, **{name: good})
    assert all(c is True for c in conditions(good_model, name)), f"{name} = {good} was rejected"


def test_every_validated_variable_has_a_case(model: Model) -> None:
    validated = {v["__tfmeta"]["label"] for v in model["variable"] if v.get("validation")}
    assert validated == set(CASES)


@pytest.mark.parametrize(
    ("overrides", "name"),
    [
        ({"min_instance_count": "5", "max_instance_count": "2"}, "max_instance_count"),
        ({"max_instance_request_concurrency": "8"}, "max_instance_request_concurrency"),
        ({"missed_call_reply_after_hours": '"Closed"'}, "business_hours"),
        ({"digest_time": '"09:00"'}, "digest_time"),  # no chat to send it to
        (
            {
                "digest_time": '"09:00"',
                "operator_chat_id": '"79001234567@c.us"',
                "reconcile_enabled": "false",  # no runs to send it
            },
            "digest_time",
        ),
        (
            {"max_instance_request_concurrency": "8", "cpu": '"0.5"'},
            "max_instance_request_concurrency",
        ),
    ],
)
def test_cross_variable_validation(overrides: dict[str, str], name: str, tmp_path: Path) -> None:
    assert False in list(conditions(load(tmp_path, **overrides), name))


def test_a_digest_needs_a_chat_and_the_schedule(tmp_path: Path) -> None:
    chat = '"79001234567@c.us"'
    for accepted in (
        load(tmp_path, digest_time='"09:00"', operator_chat_id=chat),
        many(tmp_path, digest_time='"09:00"'),  # each instance's own operatorChatId
    ):
        assert all(c is True for c in conditions(accepted, "digest_time"))


def test_concurrency_with_a_whole_cpu_is_accepted(tmp_path: Path) -> None:
    model = load(tmp_path, max_instance_request_concurrency="8", cpu='"1"')
    assert all(c is True for c in conditions(model, "max_instance_request_concurrency"))


# --- Several instances (green_api_instances) ------------------------------------------------

# Each with its own webhookUrlToken: the secret's data is then known before apply (a generated
# one is not: test_terraform_gcp_tasks.py).
INSTANCES = (
    '{ "1101000001" = { apiUrl = "https://7105.api.greenapi.com", apiTokenInstance = '
    '"shop-token-0123456789", label = "Shop", webhookUrlToken = '
    '"shop-webhook-token-0123456789abcdef" }, "1101000002" = { apiUrl = '
    '"https://api.green-api.com", apiTokenInstance = "clinic-token-0123456789", '
    'webhookUrlToken = "clinic-webhook-token-0123456789abcdef" } }'
)


def many(tmp_path: Path, **overrides: str) -> Model:
    settings = {
        "green_api_instances": INSTANCES,
        "green_api_id_instance": "null",
        "green_api_token": "null",
    }
    return load(tmp_path, **(settings | overrides))


def one(key: str = "1", url: str = "https://a.b", token: str = "0123456789") -> str:
    """A green_api_instances value of one instance, as HCL."""
    return f'{{ "{key}" = {{ apiUrl = "{url}", apiTokenInstance = "{token}" }} }}'


def test_the_instance_map_is_one_secret_read_as_its_latest_version(tmp_path: Path) -> None:
    model = many(tmp_path)
    assert all(c is True for c in conditions(model, "green_api_instances"))
    function = resource(model, "google_cloudfunctions2_function.webhook")
    service = function["service_config"]
    secrets = {s["key"]: s for s in blocks(service["secret_environment_variables"])}
    assert set(secrets) == {"WEBHOOK_TOKEN", "GREEN_API_INSTANCES"}
    assert secrets["GREEN_API_INSTANCES"]["version"] == "latest"
    secret = resource(model, 'google_secret_manager_secret.this["green_api_token"]')
    assert secret["secret_id"] == "green-call-logger-green-api-instances"
    assert secrets["GREEN_API_INSTANCES"]["secret"] == secret["secret_id"]
    data = json.loads(
        resource(model, 'google_secret_manager_secret_version.this["green_api_token"]')[
            "secret_data"
        ]
    )
    assert sorted(data) == ["1101000001", "1101000002"]
    assert data["1101000001"]["apiTokenInstance"] == "shop-token-0123456789"
    assert data["1101000001"]["label"] == "Shop"
    # Each instance has its own id and URL: the single-instance ones would be refused.
    env = service["environment_variables"]
    assert not {"GREEN_API_ID_INSTANCE", "GREEN_API_URL", "GREEN_API_TOKEN"} & set(env)
    assert "GREEN_API_INSTANCES" in _config_env_names()
    assert "shop-token" not in json.dumps(service["environment_variables"])


@pytest.mark.parametrize(
    ("overrides", "broken"),
    [
        ({"green_api_instances": one(key="shop")}, "key"),
        ({"green_api_instances": one(url="http://a.b")}, "url"),
        ({"green_api_instances": one(token="has space s")}, "token"),
        ({"green_api_token": '"0123456789abcdef"'}, "both"),
    ],
)
def test_a_bad_instance_map_is_refused(
    tmp_path: Path, overrides: dict[str, str], broken: str
) -> None:
    assert False in list(conditions(many(tmp_path, **overrides), "green_api_instances")), broken


def test_one_instance_needs_its_id_as_well_as_its_token(tmp_path: Path) -> None:
    # Without the id the function would accept any instance's notifications.
    for missing in ("green_api_id_instance", "green_api_token"):
        model = load(tmp_path, **{missing: "null"})
        assert False in list(conditions(model, "green_api_instances")), missing


# --- One contract for both stacks (terraform/shared/) ----------------------------------------

SHARED_FILES = sorted((ROOT / "terraform" / "shared").glob("*.tf"))


def _variables_declared_in(path: Path) -> set[str]:
    return set(re.findall(r'^variable "(\w+)"', path.read_text(), flags=re.MULTILINE))


@pytest.mark.parametrize("shared", SHARED_FILES, ids=lambda path: path.name)
@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_both_stacks_take_the_shared_settings(cloud: str, shared: Path) -> None:
    stack = ROOT / "terraform" / cloud
    link = stack / shared.name
    # A relative link, so that a checkout anywhere resolves it.
    assert link.is_symlink() and link.readlink() == Path("../shared") / shared.name
    assert link.resolve() == shared
    own = set().union(
        *(_variables_declared_in(f) for f in stack.glob("*.tf") if not f.is_symlink())
    )
    assert own.isdisjoint(_variables_declared_in(shared))


def _every_setting_on(tmp_path: Path) -> Model:
    return load(
        tmp_path,
        operator_chat_id='"79001234567@c.us"',
        missed_call_reply='"Sorry we missed your call."',
        business_hours='"mon-fri 09:00-18:00"',
        digest_time='"09:00"',
    )


def test_extra_environment_variables_reach_the_function_and_cannot_override(
    tmp_path: Path,
) -> None:
    model = load(tmp_path, environment_variables='{ STORE_TIMEOUT = "5s" }')
    env = webhook_env(model)
    assert env["STORE_TIMEOUT"] == "5s"
    function = resource(_every_setting_on(tmp_path), "google_cloudfunctions2_function.webhook")
    managed = set(function["service_config"]["environment_variables"]) | {
        s["key"] for s in blocks(function["service_config"]["secret_environment_variables"])
    }
    accepted = [
        name
        for name in sorted(managed | {"GREEN_API_INSTANCES"})
        if all(
            condition is True
            for condition in conditions(
                load(tmp_path, environment_variables=f'{{ {name} = "x" }}'),
                "environment_variables",
            )
        )
    ]
    assert accepted == []
