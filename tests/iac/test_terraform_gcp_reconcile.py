"""terraform/gcp offline: reconcile, a private second function and its Cloud Scheduler job; the
stack's outputs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from tests.iac import gcp_stack as gcp


def test_reconcile_is_a_second_function_from_the_same_source(
    model: gcp.Model, function: dict[str, Any]
) -> None:
    reconcile = gcp.cloud_function(model, "reconcile")
    assert reconcile["name"] == "green-call-logger-reconcile"
    build = reconcile["build_config"]
    assert build["entry_point"] == "reconcile_calls"
    source = build["source"]["storage_source"]
    assert source["bucket"] == function["build_config"]["source"]["storage_source"]["bucket"]
    assert gcp.reference(source["object"]) == "google_storage_bucket_object.source.name"
    service = reconcile["service_config"]
    # The webhook's settings, and where its tasks go (test_terraform_gcp_tasks.py).
    webhook_env = function["service_config"]["environment_variables"]
    assert {k: v for k, v in service["environment_variables"].items() if k in webhook_env} == (
        webhook_env
    )
    assert gcp.account(model, service["service_account_email"]) == "reconcile"
    # The GREEN-API secret as the webhook reads it; never the webhook token.
    assert _secret_environment(reconcile) == {
        "GREEN_API_TOKEN": _secret_environment(function)["GREEN_API_TOKEN"]
    }
    assert service["max_instance_count"] == 10  # reconcile_concurrency


def _secret_environment(function: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """A function's secret environment variables: name -> (project, secret, version)."""
    return {
        s["key"]: (s["project_id"], s["secret"], s["version"])
        for s in gcp.blocks(function["service_config"]["secret_environment_variables"])
    }


def test_the_reconcile_function_reads_the_instance_map_as_the_webhook_does(
    tmp_path: Path,
) -> None:
    model = gcp.many(tmp_path)
    webhook, reconcile = (
        _secret_environment(gcp.cloud_function(model, name)) for name in ("webhook", "reconcile")
    )
    assert reconcile == {"GREEN_API_INSTANCES": webhook["GREEN_API_INSTANCES"]}


def test_only_the_scheduler_and_tasks_accounts_may_invoke_the_reconcile_function(
    model: gcp.Model,
) -> None:
    bindings = [
        r
        for r in gcp.resources(model, "google_cloud_run_service_iam_member")
        if "reconcile" in gcp.reference(r["service"])
    ]
    assert sorted((b["role"], gcp.account(model, b["member"])) for b in bindings) == [
        ("roles/run.invoker", "scheduler"),
        ("roles/run.invoker", "tasks"),
    ]
    for kind in model:
        if kind.endswith("_iam_member") and kind != "google_cloud_run_service_iam_member":
            members = [gcp.account(model, r["member"]) for r in gcp.resources(model, kind)]
            assert "scheduler" not in members, kind


def test_the_scheduler_job_posts_the_reconcile_event_with_an_oidc_token(model: gcp.Model) -> None:
    job = gcp.resource(model, "google_cloud_scheduler_job.reconcile")
    assert job["schedule"] == "0 * * * *"
    assert job["time_zone"] == "Etc/UTC"
    target = job["http_target"]
    assert target["http_method"] == "POST"
    assert json.loads(base64.b64decode(target["body"])) == {"action": "reconcile", "since": "3h"}
    assert target["headers"] == {"Content-Type": "application/json"}
    oidc = target["oidc_token"]
    assert gcp.account(model, oidc["service_account_email"]) == "scheduler"
    uri = "google_cloudfunctions2_function.this.[reconcile].service_config.[0].uri"
    assert gcp.reference(target["uri"]) == uri
    assert gcp.reference(oidc["audience"]) == uri
    assert "cloudscheduler.googleapis.com" in {
        r["service"] for r in gcp.resources(model, "google_project_service")
    }


def test_reconcile_window_and_schedule_are_variables(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, reconcile_window='"90m"', reconcile_schedule='"*/30 * * * *"')
    job = gcp.resource(model, "google_cloud_scheduler_job.reconcile")
    assert job["schedule"] == "*/30 * * * *"
    body = json.loads(base64.b64decode(job["http_target"]["body"]))
    assert body == {"action": "reconcile", "since": "90m"}


def test_reconcile_can_be_turned_off(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, reconcile_enabled="false")
    for kind in ("google_cloud_scheduler_job", "google_service_account"):
        assert all("reconcile" not in r["__tfmeta"]["path"] for r in gcp.resources(model, kind))
    functions = [
        r["__tfmeta"]["path"] for r in gcp.resources(model, "google_cloudfunctions2_function")
    ]
    assert functions == [gcp.function_address("webhook")]
    assert gcp.resources(model, "google_cloud_scheduler_job") == []


# --- Outputs --------------------------------------------------------------------------------


def test_outputs(model: gcp.Model) -> None:
    outputs = {o["__tfmeta"]["label"]: o for o in model["output"]}
    assert {
        "webhook_url",
        "firestore_console_url",
        "webhook_token_secret",
        "service_account_email",
        "webhook_token",
    } <= set(outputs)
    assert gcp.reference(outputs["webhook_url"]["value"]) == (
        "google_cloudfunctions2_function.this.[webhook].url"
    )
    assert outputs["firestore_console_url"]["value"] == (
        "https://console.cloud.google.com/firestore/databases/-default-/data/panel/chats"
        "?project=my-call-logger-project"
    )
    assert outputs["webhook_token_secret"]["value"] == "green-call-logger-webhook-token"


def test_console_link_names_a_named_database(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, firestore_database='"call-logger"')
    (link,) = [
        o["value"] for o in model["output"] if o["__tfmeta"]["label"] == "firestore_console_url"
    ]
    assert link.startswith("https://console.cloud.google.com/firestore/databases/call-logger/data/")
