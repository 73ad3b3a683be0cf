"""terraform/gcp offline: alerts only with an alert_email, mailed for each condition."""

from __future__ import annotations

from pathlib import Path

from tests.iac import gcp_stack as gcp


def test_no_alerting_resources_without_an_email(model: gcp.Model) -> None:
    for kind in ("google_monitoring_notification_channel", "google_monitoring_alert_policy"):
        assert gcp.resources(model, kind) == []
    assert gcp.resources(model, "google_logging_metric") == []


def test_alerts_mail_the_address_for_each_condition(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, alert_email='"oncall@example.com"')
    (channel,) = gcp.resources(model, "google_monitoring_notification_channel")
    assert channel["type"] == "email"
    assert channel["labels"] == {"email_address": "oncall@example.com"}
    sleep = gcp.resource(model, "time_sleep.apis_enabled")
    assert gcp.waits_on(channel, sleep)
    assert all(gcp.waits_on(m, sleep) for m in gcp.resources(model, "google_logging_metric"))

    metrics = {m["name"]: m["filter"] for m in gcp.resources(model, "google_logging_metric")}
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

    policies = {
        p["display_name"]: p for p in gcp.resources(model, "google_monitoring_alert_policy")
    }
    assert len(policies) == 5
    by_filter = {}
    for policy in policies.values():
        (condition,) = gcp.blocks(policy["conditions"])
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


def test_monitoring_apis_are_enabled(model: gcp.Model) -> None:
    services = {r["service"] for r in gcp.resources(model, "google_project_service")}
    assert {"logging.googleapis.com", "monitoring.googleapis.com"} <= services
