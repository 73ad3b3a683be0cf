"""What the applied terraform/aws stack must hold for its scheduled work: the reconcile function
and its schedule, and the alarms with their metric filters. test_stack_lifecycle_against_moto
(test_terraform_aws.py) runs these checks on the stack it applies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws_stack import (
    ALERT_EMAIL,
    CALL_TABLE_ACTIONS,
    NAME,
    RECONCILE,
    Stack,
    as_list,
    function_config,
    role_statements,
)


def check_reconcile(stack: Stack, outputs: Mapping[str, Any]) -> None:
    """A second function from the same zip, invoked only by the schedule, with the event
    function/call_logger/flows/scheduled.py recognises."""
    assert outputs["reconcile_function_name"] == RECONCILE
    lambda_ = stack.client("lambda")
    config = lambda_.get_function_configuration(FunctionName=RECONCILE)
    webhook = function_config(stack)
    assert config["Handler"] == "lambda_function.reconcile_handler"
    assert config["CodeSha256"] == webhook["CodeSha256"]
    assert config["Timeout"] == 300
    expected = dict(webhook["Environment"]["Variables"])
    del expected["WEBHOOK_TOKEN_SECRET_ARN"]
    # Where its run puts one task per instance (test_terraform_aws_integrators.py).
    expected["RECONCILE_SQS_QUEUE_URL"] = config["Environment"]["Variables"].get(
        "RECONCILE_SQS_QUEUE_URL"
    )
    assert config["Environment"]["Variables"] == expected
    # Not reachable from outside: no URL, no resource policy (only the scheduler's role).
    for call in (lambda_.get_function_url_config, lambda_.get_policy):
        with pytest.raises(ClientError) as caught:
            call(FunctionName=RECONCILE)
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"

    statements = role_statements(stack, config["Role"])
    assert set(statements) == {
        "CallTable",
        "GreenApiToken",
        "OwnLogs",
        "DispatchTasks",
        "ConsumeTasks",
    }
    assert sorted(as_list(statements["CallTable"]["Action"])) == CALL_TABLE_ACTIONS
    assert sorted(as_list(statements["CallTable"]["Resource"])) == [
        outputs["table_arn"],
        f"{outputs['table_arn']}/index/*",
    ]
    assert as_list(statements["GreenApiToken"]["Resource"]) == [
        outputs["green_api_token_secret_arn"]
    ]
    (log_resource,) = as_list(statements["OwnLogs"]["Resource"])
    assert log_resource.endswith(f":log-group:/aws/lambda/{RECONCILE}:*")

    schedule = stack.client("scheduler").get_schedule(Name=outputs["reconcile_schedule_name"])
    assert schedule["ScheduleExpression"] == "rate(1 hour)"
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert target["Arn"] == config["FunctionArn"]
    assert json.loads(target["Input"]) == {"action": "reconcile", "since": "3h"}
    invoke = role_statements(stack, target["RoleArn"])
    assert [(s["Action"], s["Resource"]) for s in invoke.values()] == [
        ("lambda:InvokeFunction", config["FunctionArn"])
    ]
    # Its missing-calls line, and its health check's state and backlog lines, feed the alarms
    # of the same names (alerts.tf).
    filters = stack.client("logs").describe_metric_filters(logGroupName=f"/aws/lambda/{RECONCILE}")[
        "metricFilters"
    ]
    assert {f["metricTransformations"][0]["metricName"]: f["filterPattern"] for f in filters} == {
        "missing-calls": '{ $.event = "reconcile.missing_calls" }',
        "instance-state": '{ ($.event = "instance.state") && ($.severity = "ERROR") }',
        "webhook-backlog": '{ $.event = "instance.webhook_backlog" }',
    }


def check_reconcile_gone(stack: Stack) -> None:
    with pytest.raises(ClientError) as caught:
        stack.client("lambda").get_function(FunctionName=RECONCILE)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert stack.client("scheduler").list_schedules()["Schedules"] == []


ALARMS = {
    # name suffix: (namespace kind, metric, periods of 60 s that must all breach)
    "webhook-5xx": ("log", "webhook-5xx", 5),
    "instance-state": ("log", "instance-state", 1),
    "rejected": ("log", "rejected", 1),
    "missing-calls": ("log", "missing-calls", 1),
    "webhook-backlog": ("log", "webhook-backlog", 1),
    "lambda-errors": ("AWS/Lambda", "Errors", 1),
    "url-5xx": ("AWS/Lambda", "Url5xxCount", 5),
}


def check_alerts(stack: Stack, outputs: Mapping[str, Any]) -> None:
    topic = outputs["alerts_topic_arn"]
    sns = stack.client("sns")
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", ALERT_EMAIL)

    filters = {
        f["filterName"]: f
        for f in stack.client("logs").describe_metric_filters(
            logGroupName=outputs["log_group_name"]
        )["metricFilters"]
    }
    assert set(filters) == {f"{NAME}-{key}" for key, spec in ALARMS.items() if spec[0] == "log"}
    patterns = {name: f["filterPattern"] for name, f in filters.items()}
    assert patterns[f"{NAME}-instance-state"] == (
        '{ ($.event = "instance.state") && ($.severity = "ERROR") }'
    )
    assert patterns[f"{NAME}-rejected"] == '{ $.outcome = "rejected" }'
    assert patterns[f"{NAME}-missing-calls"] == '{ $.event = "reconcile.missing_calls" }'
    assert patterns[f"{NAME}-webhook-5xx"] == "{ $.status >= 500 }"
    assert patterns[f"{NAME}-webhook-backlog"] == '{ $.event = "instance.webhook_backlog" }'

    alarms = {
        alarm["AlarmName"]: alarm
        for alarm in stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=NAME)[
            "MetricAlarms"
        ]
    }
    assert set(alarms) == {f"{NAME}-{key}" for key in ALARMS}
    for key, (kind, metric, periods) in ALARMS.items():
        alarm = alarms[f"{NAME}-{key}"]
        namespace = f"GreenCallLogger/{NAME}" if kind == "log" else kind
        assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric), key
        assert alarm["EvaluationPeriods"] == periods, key
        assert alarm["AlarmActions"] == [topic], key
        assert alarm["TreatMissingData"] == "notBreaching", key
        assert len(alarm["AlarmDescription"]) > 80, key  # says what broke and what to do
        if kind != "log":
            assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": NAME}], key
