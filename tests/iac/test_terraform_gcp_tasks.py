"""terraform/gcp for an integrator's deployment of many instances (issue 26), checked offline:
the scheduled work's Cloud Tasks queue and the identities around it (each only what it needs),
the index a task's digest reads its instance by, each instance's own webhook token, the caps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.iac import gcp_stack as gcp


def _reconcile_env(model: gcp.Model) -> dict[str, Any]:
    function = gcp.cloud_function(model, "reconcile")
    env: dict[str, Any] = function["service_config"]["environment_variables"]
    return env


def test_the_queue_paces_and_retries_the_tasks(model: gcp.Model) -> None:
    queue = gcp.resource(model, "google_cloud_tasks_queue.reconcile")
    assert queue["name"] == "green-call-logger-reconcile"
    assert queue["rate_limits"]["max_concurrent_dispatches"] == 10
    retry = queue["retry_config"]
    assert retry["max_attempts"] > 1
    assert retry["min_backoff"] == "30s"
    assert "cloudtasks.googleapis.com" in {
        r["service"] for r in gcp.resources(model, "google_project_service")
    }
    # As many function instances as tasks run at once, one task each.
    service = gcp.cloud_function(model, "reconcile")["service_config"]
    assert (service["max_instance_count"], service["max_instance_request_concurrency"]) == (10, 1)


def test_the_reconcile_function_knows_its_queue_its_url_and_its_tasks_identity(
    model: gcp.Model,
) -> None:
    env = _reconcile_env(model)
    queue = gcp.resource(model, "google_cloud_tasks_queue.reconcile")
    assert env["RECONCILE_TASKS_QUEUE"] == queue["id"]
    project = gcp.cloud_function(model, "webhook")["project"]
    assert env["RECONCILE_TASKS_URL"] == (
        f"https://europe-west1-{project}.cloudfunctions.net/green-call-logger-reconcile"
    )
    # The tasks account's email, known only after apply (tfparse leaves it empty).
    assert "RECONCILE_TASKS_SERVICE_ACCOUNT" in env
    webhook = gcp.cloud_function(model, "webhook")
    assert not {k for k in webhook["service_config"]["environment_variables"] if "TASKS" in k}


def _grants(model: gcp.Model, name: str) -> list[tuple[str, str]]:
    """(kind, role) of every IAM member resource naming the service account `name`."""
    return sorted(
        (kind, r["role"])
        for kind in model
        if kind.endswith("_iam_member")
        for r in gcp.resources(model, kind)
        if r.get("member") != "allUsers" and gcp.account(model, r["member"]) == name
    )


def test_each_identity_has_only_what_its_job_needs(model: gcp.Model) -> None:
    assert _grants(model, "reconcile") == [
        ("google_cloud_tasks_queue_iam_member", "roles/cloudtasks.enqueuer"),
        ("google_project_iam_member", "roles/datastore.user"),
        ("google_secret_manager_secret_iam_member", "roles/secretmanager.secretAccessor"),
        ("google_service_account_iam_member", "roles/iam.serviceAccountUser"),
    ]
    (enqueuer,) = gcp.resources(model, "google_cloud_tasks_queue_iam_member")
    assert enqueuer["name"] == gcp.resource(model, "google_cloud_tasks_queue.reconcile")["name"]
    (acts_as,) = gcp.resources(model, "google_service_account_iam_member")
    assert gcp.account(model, acts_as["service_account_id"]) == "tasks"
    (secret,) = [
        r
        for r in gcp.resources(model, "google_secret_manager_secret_iam_member")
        if gcp.account(model, r["member"]) == "reconcile"
    ]
    assert secret["secret_id"] == "green-call-logger-green-api-token"  # never the webhook's
    assert _grants(model, "tasks") == [("google_cloud_run_service_iam_member", "roles/run.invoker")]
    # The webhook's account gets nothing of the queue.
    assert all("tasks" not in kind for kind, _ in _grants(model, "runtime"))


def test_a_digest_reads_its_instance_by_an_index_on_instance_and_time(model: gcp.Model) -> None:
    index = gcp.resource(model, "google_firestore_index.records_by_instance")
    assert (index["collection"], index["query_scope"]) == ("records", "COLLECTION_GROUP")
    fields = [(f["field_path"], f["order"]) for f in gcp.blocks(index["fields"])]
    assert fields == [("instanceId", "ASCENDING"), ("eventAt", "DESCENDING")]


def test_without_reconcile_there_is_no_queue_and_no_identity_for_it(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, reconcile_enabled="false")
    assert gcp.resources(model, "google_cloud_tasks_queue") == []
    accounts = {r["account_id"] for r in gcp.resources(model, "google_service_account")}
    assert not {a for a in accounts if a.endswith(("-tasks", "-recon"))}


def test_an_instance_without_its_own_webhook_token_gets_one_generated(tmp_path: Path) -> None:
    instances = (
        '{ "1101000001" = { apiUrl = "https://a.b", apiTokenInstance = "shop-token-0123", '
        'webhookUrlToken = "shop-webhook-token-0123456789abcdef" }, '
        '"1101000002" = { apiUrl = "https://a.b", apiTokenInstance = "clinic-token-0123" } }'
    )
    model = gcp.many(tmp_path, green_api_instances=instances)
    generated = gcp.resources(model, "terraform_data")
    paths = sorted(r["__tfmeta"]["path"] for r in generated)
    assert paths == [
        'terraform_data.generated_instance_token["1101000002"]',
        "terraform_data.generated_webhook_token[0]",
    ]


def test_the_caps_reach_the_functions_when_set(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, missed_call_reply_max_per_hour="5", operator_notify_max_per_hour="7")
    for name in ("webhook", "reconcile"):
        function = gcp.cloud_function(model, name)
        env = function["service_config"]["environment_variables"]
        assert (env["MISSED_CALL_REPLY_MAX_PER_HOUR"], env["OPERATOR_NOTIFY_MAX_PER_HOUR"]) == (
            "5",
            "7",
        )
