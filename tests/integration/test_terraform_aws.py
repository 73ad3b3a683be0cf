"""terraform/aws for real: validate, plan, apply, change and destroy against a local moto (the
server and the stack copy of tests/integration/conftest.py), checking what the webhook runs on:
its table, role, function, secrets and logs; the scheduled work's checks are in
tests/support/aws_scheduled_checks.py."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.aws_scheduled_checks import check_alerts, check_reconcile, check_reconcile_gone
from tests.support.aws_stack import (
    CALL_TABLE_ACTIONS,
    GREEN_API_TOKEN,
    ID_INSTANCE,
    MANY_INSTANCES,
    NAME,
    RECONCILE,
    Stack,
    as_list,
    base_env,
    base_vars,
    function_config,
    planned_changes,
    role_statements,
)

REPLY_VARS = {
    "missed_call_reply": "Sorry we missed your call, {name}.",
    "missed_call_reply_after_hours": "We open at 9.",
    "missed_call_reply_on": ["missed", "declined"],
    "business_hours": "mon-fri 09:00-18:00",
    "timezone": "Europe/Berlin",
    "operator_chat_id": "79001234567@c.us",
    "operator_notify_on": ["offer", "missed"],
    "digest_time": "09:00",
}
REPLY_ENV = {
    "MISSED_CALL_REPLY": "Sorry we missed your call, {name}.",
    "MISSED_CALL_REPLY_AFTER_HOURS": "We open at 9.",
    "MISSED_CALL_REPLY_ON": "missed,declined",
    "MISSED_CALL_REPLY_COOLDOWN": "12h",
    "MISSED_CALL_REPLY_MAX_AGE": "15m",
    "BUSINESS_HOURS": "mon-fri 09:00-18:00",
    "TIMEZONE": "Europe/Berlin",
    "OPERATOR_CHAT_ID": "79001234567@c.us",
    "OPERATOR_NOTIFY_ON": "offer,missed",
    "DIGEST_TIME": "09:00",
}


def test_stack_lifecycle_against_moto(stack: Stack) -> None:
    stack.terraform("validate")
    base = stack.write_vars("base.tfvars.json", base_vars(stack))
    plan_path = str(stack.workdir / "tfplan")
    stack.terraform("plan", "-input=false", base, f"-out={plan_path}")
    stack.terraform("apply", "-input=false", "-auto-approve", plan_path)
    outputs = stack.outputs()

    _check_table(stack, outputs, ttl_enabled=True)
    _check_role(stack, outputs)
    _check_function(stack, outputs)
    _check_secrets_and_logs(stack, outputs)
    check_reconcile(stack, outputs)
    check_alerts(stack, outputs)

    # A second plan finds nothing to do: no attribute the provider reads back differs, except
    # the Lambda's logging_config, which moto does not keep (it is checked in the plan instead).
    assert planned_changes(stack, base) == {"aws_lambda_function.webhook": {"logging_config"}}

    # Turning retention off turns TTL off (and drops RECORD_RETENTION_DAYS) in place, keeping
    # the generated webhook token; turning the missed-call reply and the digest on sets their
    # settings.
    no_retention = stack.write_vars(
        "no-retention.tfvars.json", {"record_retention_days": None} | REPLY_VARS
    )
    stack.terraform("apply", "-input=false", "-auto-approve", base, no_retention)
    later = stack.outputs()
    assert later["webhook_token"] == outputs["webhook_token"]
    _check_table(stack, later, ttl_enabled=False)
    variables = function_config(stack)["Environment"]["Variables"]
    assert "RECORD_RETENTION_DAYS" not in variables
    assert {name: variables.get(name) for name in REPLY_ENV} == REPLY_ENV

    # Several instances: one secret holds the whole map, and the function reads it. Turning
    # reconcile off (and with it the digest, which rides on its runs) removes its function and
    # schedule.
    many = stack.write_vars(
        "many.tfvars.json", MANY_INSTANCES | {"reconcile_enabled": False, "digest_time": ""}
    )
    stack.terraform("apply", "-input=false", "-auto-approve", base, no_retention, many)
    _check_instance_map(stack, stack.outputs())
    assert {"reconcile_function_name", "reconcile_schedule_name"}.isdisjoint(stack.outputs())
    check_reconcile_gone(stack)

    stack.terraform("destroy", "-input=false", "-auto-approve", base, no_retention, many)
    _check_gone(stack, outputs)
    assert stack.outputs() == {}


def _check_instance_map(stack: Stack, outputs: Mapping[str, Any]) -> None:
    arn = outputs["green_api_token_secret_arn"]
    assert outputs["green_api_token_secret_name"].startswith(f"{NAME}/green-api-instances-")
    variables = function_config(stack)["Environment"]["Variables"]
    assert variables["GREEN_API_INSTANCES_SECRET_ARN"] == arn
    for single in ("GREEN_API_TOKEN_SECRET_ARN", "GREEN_API_URL", "GREEN_API_ID_INSTANCE"):
        assert single not in variables
    assert "shop-token" not in json.dumps(function_config(stack))
    assert outputs["green_api_token"] == ""

    # What the function does at cold start, with the Lambda's own environment.
    from call_logger.entrypoints.aws_lambda import environ_with_secrets
    from call_logger.settings.config import Config

    with pytest.MonkeyPatch.context() as environ:
        # boto3 finds the region, credentials and endpoint in the process environment.
        for key, value in {
            **base_env(),
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": stack.moto_url,
        }.items():
            environ.setenv(key, value)
        config = Config.from_env(environ_with_secrets(variables))
    assert [(i.id, i.label, i.token) for i in config.instances] == [
        (1101000001, "Shop", "shop-token-0123456789"),
        (1101000002, "", "clinic-token-0123456789"),
    ]
    assert config.settings_for(1101000001).operator_chat_id == "79000000001@c.us"
    assert json.loads(outputs["green_api_instances"]) == json.loads(
        stack.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    )

    assert arn in as_list(role_statements(stack, outputs["role_arn"])["OwnSecrets"]["Resource"])


def _check_table(stack: Stack, outputs: Mapping[str, Any], *, ttl_enabled: bool) -> None:
    dynamodb = stack.client("dynamodb")
    name = outputs["table_name"]
    assert name == NAME
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["TableArn"] == outputs["table_arn"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {
        ("pk", "HASH"),
        ("sk", "RANGE"),
    }
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
        ("pk", "S"),
        ("sk", "S"),
        ("gsi1pk", "S"),
        ("gsi2pk", "S"),
        ("eventAt", "N"),
    }
    # byInstance, one instance's records by time: test_terraform_aws_integrators.py.
    (index,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] != "byInstance"]
    assert index["IndexName"] == "byTime"
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == [
        ("gsi1pk", "HASH"),
        ("eventAt", "RANGE"),
    ]
    assert index["Projection"]["ProjectionType"] == "ALL"
    assert table["SSEDescription"]["Status"] == "ENABLED"

    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    recovery = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
    assert recovery == "ENABLED"

    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl_enabled:
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expireAt"}
    else:
        assert ttl["TimeToLiveStatus"] == "DISABLED"


def _check_role(stack: Stack, outputs: Mapping[str, Any]) -> None:
    iam = stack.client("iam")
    role_name = outputs["role_arn"].rsplit("/", 1)[1]
    role = iam.get_role(RoleName=role_name)["Role"]
    assume = role["AssumeRolePolicyDocument"]
    if isinstance(assume, str):
        assume = json.loads(urllib.parse.unquote(assume))
    (trust,) = assume["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"

    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    statements = role_statements(stack, outputs["role_arn"])
    assert set(statements) == {"CallTable", "OwnSecrets", "OwnLogs"}
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert "*" not in as_list(statement["Resource"])

    assert sorted(as_list(statements["CallTable"]["Action"])) == CALL_TABLE_ACTIONS
    # The table alone: only reconcile reads the byTime index.
    assert as_list(statements["CallTable"]["Resource"]) == [outputs["table_arn"]]
    assert as_list(statements["OwnSecrets"]["Action"]) == ["secretsmanager:GetSecretValue"]
    assert sorted(as_list(statements["OwnSecrets"]["Resource"])) == sorted(
        [outputs["webhook_token_secret_arn"], outputs["green_api_token_secret_arn"]]
    )
    assert sorted(as_list(statements["OwnLogs"]["Action"])) == [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]
    (log_resource,) = as_list(statements["OwnLogs"]["Resource"])
    assert log_resource.endswith(f":log-group:/aws/lambda/{NAME}:*")


def _check_function(stack: Stack, outputs: Mapping[str, Any]) -> None:
    lambda_ = stack.client("lambda")
    config = function_config(stack)
    assert outputs["function_name"] == NAME
    assert config["FunctionArn"] == outputs["function_arn"]
    assert config["Runtime"] == "python3.12"
    assert config["Handler"] == "lambda_function.lambda_handler"
    assert config["MemorySize"] == 512
    assert config["Timeout"] == 20
    assert config["Role"] == outputs["role_arn"]
    assert lambda_.get_function_concurrency(FunctionName=NAME)["ReservedConcurrentExecutions"] == 3

    variables = config["Environment"]["Variables"]
    assert variables == {
        "STORE": "dynamodb",
        "DYNAMODB_TABLE": outputs["table_name"],
        "CALL_MODE": "results",
        "GREEN_API_ID_INSTANCE": str(ID_INSTANCE),
        "GREEN_API_URL": "https://api.green-api.com",
        "CALL_LABELS": json.dumps({"missed": "Missed WhatsApp call"}, separators=(",", ":")),
        "RECORD_RETENTION_DAYS": "30",
        "CONTACT_CACHE_TTL": "24h",
        "LOG_LEVEL": "INFO",
        "LOG_CHAT_IDS": "full",
        "TIMEZONE": "UTC",
        "WEBHOOK_TOKEN_SECRET_ARN": outputs["webhook_token_secret_arn"],
        "GREEN_API_TOKEN_SECRET_ARN": outputs["green_api_token_secret_arn"],
    }
    # The tokens themselves appear nowhere in the function's configuration.
    everything = json.dumps(config)
    assert outputs["webhook_token"] not in everything
    assert GREEN_API_TOKEN not in everything

    url = lambda_.get_function_url_config(FunctionName=NAME)
    assert url["AuthType"] == "NONE"
    assert url["FunctionUrl"] == outputs["webhook_url"]
    assert outputs["webhook_url"].startswith("https://")

    policy = json.loads(lambda_.get_policy(FunctionName=NAME)["Policy"])
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    public_url = statements["AllowPublicFunctionUrl"]
    assert public_url["Action"] == "lambda:InvokeFunctionUrl"
    assert public_url["Principal"] == "*"
    assert "NONE" in json.dumps(public_url)  # moto keeps FunctionUrlAuthType outside Condition
    invoke = statements["AllowInvokeForFunctionUrl"]
    assert invoke["Action"] == "lambda:InvokeFunction"


def _check_secrets_and_logs(stack: Stack, outputs: Mapping[str, Any]) -> None:
    secrets = stack.client("secretsmanager")
    webhook_arn = outputs["webhook_token_secret_arn"]
    green_arn = outputs["green_api_token_secret_arn"]
    assert outputs["webhook_token_secret_name"].startswith(f"{NAME}/webhook-token-")
    assert outputs["green_api_token_secret_name"].startswith(f"{NAME}/green-api-token-")
    generated = secrets.get_secret_value(SecretId=webhook_arn)["SecretString"]
    assert generated == outputs["webhook_token"]
    assert len(generated) == 64
    assert all(character in "0123456789abcdef" for character in generated)
    assert secrets.get_secret_value(SecretId=green_arn)["SecretString"] == GREEN_API_TOKEN
    assert outputs["green_api_token"] == GREEN_API_TOKEN
    assert outputs["green_api_id_instance"] == str(ID_INSTANCE)

    logs = stack.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=outputs["log_group_name"])["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [
        (f"/aws/lambda/{NAME}", 14),
        (f"/aws/lambda/{RECONCILE}", 14),
    ]


def _check_gone(stack: Stack, outputs: Mapping[str, Any]) -> None:
    def missing(call: Any, code: str, **kwargs: Any) -> None:
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        assert caught.value.response["Error"]["Code"] == code

    missing(stack.client("dynamodb").describe_table, "ResourceNotFoundException", TableName=NAME)
    role_name = outputs["role_arn"].rsplit("/", 1)[1]
    missing(stack.client("iam").get_role, "NoSuchEntity", RoleName=role_name)
    lambda_ = stack.client("lambda")
    missing(lambda_.get_function, "ResourceNotFoundException", FunctionName=NAME)
    secrets = stack.client("secretsmanager")
    for arn in (outputs["webhook_token_secret_arn"], outputs["green_api_token_secret_arn"]):
        missing(secrets.describe_secret, "ResourceNotFoundException", SecretId=arn)
    groups = stack.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{NAME}")
    assert groups["logGroups"] == []
