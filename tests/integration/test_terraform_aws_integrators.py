"""terraform/aws for an integrator's deployment of many instances (issue 26), applied to moto:
each instance its own webhookUrlToken, generated once and kept; the caps on sends per instance;
the scheduled work's SQS queue, consumed by the reconcile function, with IAM only to what each
role needs."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.support.aws_stack import (
    MANY_INSTANCES,
    NAME,
    RECONCILE,
    Stack,
    as_list,
    base_vars,
    role_statements,
)

OWN_TOKEN = "shop-own-webhook-token-0123456789abcdef"


def _many(stack: Stack) -> dict[str, Any]:
    instances = json.loads(json.dumps(MANY_INSTANCES["green_api_instances"]))
    instances["1101000001"]["webhookUrlToken"] = OWN_TOKEN
    instances["1101000001"]["operatorNotifyMaxPerHour"] = "7"
    return (
        base_vars(stack)
        | MANY_INSTANCES
        | {"green_api_instances": instances, "missed_call_reply_max_per_hour": 5}
    )


def _stored_map(stack: Stack, outputs: dict[str, Any]) -> dict[str, Any]:
    secrets = stack.client("secretsmanager")
    text = secrets.get_secret_value(SecretId=outputs["green_api_token_secret_arn"])["SecretString"]
    stored: dict[str, Any] = json.loads(text)
    return stored


def test_each_instance_gets_its_own_webhook_token_kept_across_applies(stack: Stack) -> None:
    many = stack.write_vars("many.tfvars.json", _many(stack))
    stack.terraform("apply", "-input=false", "-auto-approve", many)
    outputs = stack.outputs()
    try:
        stored = _stored_map(stack, outputs)
        shop, clinic = stored["1101000001"], stored["1101000002"]
        assert shop["webhookUrlToken"] == OWN_TOKEN
        generated = clinic["webhookUrlToken"]
        assert re.fullmatch(r"[0-9a-f]{64}", generated)
        assert generated != outputs["webhook_token"]
        # configure-instance --all reads the map from this output.
        assert json.loads(outputs["green_api_instances"]) == stored
        # The caps: the deployment's as a setting, the shop's own in its entry.
        function = stack.client("lambda").get_function_configuration(FunctionName=NAME)
        assert function["Environment"]["Variables"]["MISSED_CALL_REPLY_MAX_PER_HOUR"] == "5"
        assert shop["operatorNotifyMaxPerHour"] == "7"

        _check_queue(stack, outputs)

        stack.terraform("apply", "-input=false", "-auto-approve", many)
        assert _stored_map(stack, stack.outputs())["1101000002"]["webhookUrlToken"] == generated
    finally:
        stack.terraform("destroy", "-input=false", "-auto-approve", many)


def _check_queue(stack: Stack, outputs: dict[str, Any]) -> None:
    sqs, lambda_ = stack.client("sqs"), stack.client("lambda")
    url = sqs.get_queue_url(QueueName=f"{RECONCILE}-tasks")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    queue_arn = attributes["QueueArn"]
    assert attributes["VisibilityTimeout"] == "1800"  # six times the function's 300 s
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":{RECONCILE}-failed")
    assert int(redrive["maxReceiveCount"]) > 1

    # A task's digest reads one instance's records from an index of their own.
    table = stack.client("dynamodb").describe_table(TableName=NAME)["Table"]
    (by_instance,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "byInstance"]
    assert [(k["AttributeName"], k["KeyType"]) for k in by_instance["KeySchema"]] == [
        ("gsi2pk", "HASH"),
        ("eventAt", "RANGE"),
    ]

    reconcile = lambda_.get_function_configuration(FunctionName=RECONCILE)
    assert reconcile["Environment"]["Variables"]["RECONCILE_SQS_QUEUE_URL"] == url
    (mapping,) = [
        m
        for m in lambda_.list_event_source_mappings()["EventSourceMappings"]
        if m["EventSourceArn"] == queue_arn
    ]
    assert mapping["FunctionArn"] == reconcile["FunctionArn"]
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]

    # The reconcile role sends to and consumes its queue alone; the webhook's touches no queue.
    statements = role_statements(stack, reconcile["Role"])
    assert statements["DispatchTasks"]["Action"] in ("sqs:SendMessage", ["sqs:SendMessage"])
    for sid in ("DispatchTasks", "ConsumeTasks"):
        assert as_list(statements[sid]["Resource"]) == [queue_arn]
    webhook = role_statements(stack, outputs["role_arn"])
    assert "sqs:" not in json.dumps(webhook)
