"""terraform/gcp offline: the webhook function, its environment and secrets, and its source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.iac import gcp_stack as gcp


def test_function_build(function: dict[str, Any]) -> None:
    build = function["build_config"]
    assert build["entry_point"] == "handle_webhook"
    assert build["runtime"] == "python312"
    source = build["source"]["storage_source"]
    assert gcp.reference(source["object"]) == "google_storage_bucket_object.source.name"
    # The uploaded object's generation, so each upload is the one that gets built.
    assert gcp.reference(source["generation"]) == "google_storage_bucket_object.source.generation"
    assert function["location"] == "europe-west1"


def test_function_service_settings(function: dict[str, Any], model: gcp.Model) -> None:
    service = function["service_config"]
    assert service["ingress_settings"] == "ALLOW_ALL"
    assert service["available_memory"] == "256M"
    assert service["timeout_seconds"] == 60
    assert service["min_instance_count"] == 0
    assert service["max_instance_count"] == 10
    assert service["max_instance_request_concurrency"] == 1
    assert gcp.account(model, service["service_account_email"]) == "runtime"


def test_plain_environment_matches_the_config_contract(function: dict[str, Any]) -> None:
    env = function["service_config"]["environment_variables"]
    assert set(env) <= gcp.config_env_names()
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
    env = gcp.webhook_env_with(
        tmp_path,
        operator_chat_id=gcp.hcl(gcp.OPERATOR_CHAT),
        call_labels="{}",
        call_mode='"results"',
    )
    assert env["OPERATOR_CHAT_ID"] == gcp.OPERATOR_CHAT
    assert env["CALL_MODE"] == "results"
    assert "CALL_LABELS" not in env


def test_reply_settings_appear_when_a_reply_is_set(tmp_path: Path) -> None:
    env = gcp.webhook_env_with(
        tmp_path,
        missed_call_reply='"Sorry we missed your call, {name}."',
        missed_call_reply_after_hours='"We open at 9."',
        missed_call_reply_on='["missed", "hangUp"]',
        business_hours='"mon-fri 09:00-18:00"',
        timezone='"Europe/Berlin"',
        operator_chat_id=gcp.hcl(gcp.OPERATOR_CHAT),
        operator_notify_on='["offer", "missed"]',
    )
    assert set(env) <= gcp.config_env_names()
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
    model: gcp.Model, function: dict[str, Any]
) -> None:
    service = function["service_config"]
    assert not {"WEBHOOK_TOKEN", "GREEN_API_TOKEN"} & set(service["environment_variables"])
    assert {"WEBHOOK_TOKEN", "GREEN_API_TOKEN"} <= gcp.config_env_names()

    secrets = {s["key"]: s for s in gcp.blocks(service["secret_environment_variables"])}
    assert set(secrets) == {"WEBHOOK_TOKEN", "GREEN_API_TOKEN"}
    ids = {
        r["__tfmeta"]["path"]: r["secret_id"]
        for r in gcp.resources(model, "google_secret_manager_secret")
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
    assert gcp.reference(secrets["WEBHOOK_TOKEN"]["version"]) == (
        "google_secret_manager_secret_version.this.[webhook_token].version"
    )
    assert secrets["GREEN_API_TOKEN"]["version"] == "latest"
    assert {secret["project_id"] for secret in secrets.values()} == {"my-call-logger-project"}


def test_a_new_secret_value_is_created_before_the_old_version_is_destroyed(
    model: gcp.Model,
) -> None:
    versions = gcp.resources(model, "google_secret_manager_secret_version")
    assert len(versions) == 2
    for version in versions:
        # secret_data cannot change in place: without this the old version would be destroyed
        # while the function still points at it.
        assert version["lifecycle"]["create_before_destroy"] is True, version["__tfmeta"]["path"]


def test_token_variables_are_sensitive_and_the_webhook_token_is_generated(model: gcp.Model) -> None:
    assert gcp.variable(model, "webhook_token")["sensitive"] is True
    assert gcp.variable(model, "green_api_token")["sensitive"] is True
    # Generated once (settings.tf), the same way as on AWS, and kept: a new uuid() at each plan
    # is ignored.
    generated = gcp.resource(model, "terraform_data.generated_webhook_token")
    assert generated["input"] == "(sensitive value)"
    outputs = {o["__tfmeta"]["label"]: o for o in model["output"]}
    assert outputs["webhook_token"]["sensitive"] is True
    assert outputs["green_api_token"]["sensitive"] is True
    assert gcp.variable(model, "green_api_instances")["sensitive"] is True
    assert outputs["green_api_instances"]["sensitive"] is True


# --- Source ---------------------------------------------------------------------------------


def test_source_bucket_is_private(model: gcp.Model) -> None:
    bucket = gcp.resource(model, "google_storage_bucket.source")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"
    assert bucket["location"] == "europe-west1"


def test_source_is_the_function_folder_named_by_its_hash(model: gcp.Model) -> None:
    archive = gcp.resource(model, "data.archive_file.function")
    assert archive["type"] == "zip"
    assert (gcp.STACK / archive["source_dir"]).resolve() == gcp.ROOT / "function"
    obj = gcp.resource(model, "google_storage_bucket_object.source")
    assert "data.archive_file.function.output_sha256" in obj["name"]


def _every_setting_on(tmp_path: Path) -> gcp.Model:
    return gcp.load(
        tmp_path,
        operator_chat_id=gcp.hcl(gcp.OPERATOR_CHAT),
        missed_call_reply='"Sorry we missed your call."',
        business_hours='"mon-fri 09:00-18:00"',
        digest_time='"09:00"',
    )


def test_extra_environment_variables_reach_the_function_and_cannot_override(
    tmp_path: Path,
) -> None:
    env = gcp.webhook_env_with(tmp_path, environment_variables='{ STORE_TIMEOUT = "5s" }')
    assert env["STORE_TIMEOUT"] == "5s"
    function = gcp.cloud_function(_every_setting_on(tmp_path), "webhook")
    managed = set(function["service_config"]["environment_variables"]) | {
        s["key"] for s in gcp.blocks(function["service_config"]["secret_environment_variables"])
    }
    accepted = [
        name
        for name in sorted(managed | {"GREEN_API_INSTANCES"})
        if all(
            condition is True
            for condition in gcp.conditions(
                gcp.load(tmp_path, environment_variables=f'{{ {name} = "x" }}'),
                "environment_variables",
            )
        )
    ]
    assert accepted == []
