"""terraform/aws with events on, applied to moto: the table's stream, the delivery function and
its stream mapping (filtered to new outbox items, retried for a day, bisected, reporting the
first event not taken), the dead-letter queue, and the signing key only where it signs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from call_logger.settings.events import secret_problem

from tests.support.aws_stack import (
    NAME,
    RECONCILE,
    Stack,
    base_vars,
    role_statements,
)

EVENTS = f"{NAME}-events"
EVENTS_URL = "https://crm.example/hooks/calls"


def test_events_are_delivered_from_the_tables_stream(stack: Stack) -> None:
    on = stack.write_vars("events.tfvars.json", base_vars(stack) | {"events_url": EVENTS_URL})
    stack.terraform("apply", "-input=false", "-auto-approve", on)
    try:
        outputs = stack.outputs()
        lambda_ = stack.client("lambda")

        table = stack.client("dynamodb").describe_table(TableName=NAME)["Table"]
        assert table["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": "NEW_IMAGE",
        }

        function = lambda_.get_function_configuration(FunctionName=EVENTS)
        assert function["Handler"] == "lambda_function.events_handler"
        variables = function["Environment"]["Variables"]
        assert variables["EVENTS_URL"] == EVENTS_URL
        assert "WEBHOOK_TOKEN_SECRET_ARN" not in variables

        # The key: generated in the Standard Webhooks form, in Secrets Manager, read by the
        # delivery alone; the functions that write events have the URL only.
        secret = (
            outputs.get("events_secret")
            or stack.terraform("output", "-raw", "events_secret").stdout
        )
        assert secret.startswith("whsec_") and secret_problem(secret) is None
        stored = stack.client("secretsmanager").get_secret_value(
            SecretId=variables["EVENTS_SECRET_SECRET_ARN"]
        )["SecretString"]
        assert stored == secret
        for writer in (NAME, RECONCILE):
            env = lambda_.get_function_configuration(FunctionName=writer)["Environment"]
            assert env["Variables"]["EVENTS_URL"] == EVENTS_URL
            assert not any(name.startswith("EVENTS_SECRET") for name in env["Variables"])
        assert secret not in json.dumps(function)

        (mapping,) = [
            mapping
            for mapping in lambda_.list_event_source_mappings()["EventSourceMappings"]
            if mapping["FunctionArn"] == function["FunctionArn"]
        ]
        assert mapping["EventSourceArn"] == table["LatestStreamArn"]
        (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
        assert pattern == {"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": ["OUTBOX"]}}}}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["MaximumRecordAgeInSeconds"] == 86400
        assert mapping["ParallelizationFactor"] == 10
        queue_url = outputs["events_dead_letter_queue_url"]
        sqs = stack.client("sqs")
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn

        statements = role_statements(stack, function["Role"])
        assert statements["Stream"]["Resource"] == table["LatestStreamArn"]
        assert statements["DeadLetter"]["Resource"] == queue_arn
        assert "dynamodb:DeleteItem" in statements["Outbox"]["Action"]
    finally:
        stack.terraform("destroy", "-input=false", "-auto-approve", on)


def test_without_events_there_is_no_stream_and_no_delivery(stack: Stack) -> None:
    plan_path = str(stack.workdir / "no-events.tfplan")
    stack.terraform(
        "plan", "-input=false", stack.write_vars("off.tfvars.json", base_vars(stack)),
        f"-out={plan_path}",
    )  # fmt: skip
    plan: dict[str, Any] = json.loads(stack.terraform("show", "-json", plan_path).stdout)
    addresses = {r["address"] for r in plan["planned_values"]["root_module"]["resources"]}
    assert not any("events" in address for address in addresses)
    table = next(
        r["values"]
        for r in plan["planned_values"]["root_module"]["resources"]
        if r["address"] == "aws_dynamodb_table.calls"
    )
    assert table["stream_enabled"] is False


@pytest.mark.parametrize("secret", ["plain-secret", "whsec_short"])
def test_a_secret_not_in_the_standard_form_is_refused(stack: Stack, secret: str) -> None:
    values = base_vars(stack) | {"events_url": EVENTS_URL, "events_secret": secret}
    plan = stack.terraform(
        "plan", "-input=false", stack.write_vars("bad.tfvars.json", values), check=False
    )
    assert plan.returncode != 0
    assert "events_secret must be null or whsec_" in " ".join(plan.stderr.split())
