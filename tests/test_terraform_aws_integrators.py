"""terraform/aws for an integrator's deployment of many instances (issue 26), applied to moto:
each instance its own webhookUrlToken, generated once and kept; the caps on sends per instance.

Uses the stack copy and moto server of test_terraform_aws (its fixtures, one copy per module)."""

from __future__ import annotations

import json
import re
from typing import Any

from tests import test_terraform_aws as aws_stack
from tests.test_terraform_aws import MANY_INSTANCES, NAME, Stack, _base_vars

# The module's moto server and stack copy, as that module makes them.
moto_url = aws_stack.moto_url
stack = aws_stack.stack

OWN_TOKEN = "shop-own-webhook-token-0123456789abcdef"


def _many(stack: Stack) -> dict[str, Any]:
    instances = json.loads(json.dumps(MANY_INSTANCES["green_api_instances"]))
    instances["1101000001"]["webhookUrlToken"] = OWN_TOKEN
    instances["1101000001"]["operatorNotifyMaxPerHour"] = "7"
    return (
        _base_vars(stack)
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
    stack.run("apply", "-input=false", "-auto-approve", many)
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

        stack.run("apply", "-input=false", "-auto-approve", many)
        assert _stored_map(stack, stack.outputs())["1101000002"]["webhookUrlToken"] == generated
    finally:
        stack.run("destroy", "-input=false", "-auto-approve", many)
