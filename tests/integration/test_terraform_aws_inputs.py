"""terraform/aws before anything is applied: the committed provider lock, the format, the zip
build, the values every variable refuses, the safe defaults, and the renamed addresses a deployed
stack keeps (plans against the moto server of tests/integration/conftest.py)."""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.support.aws_stack import (
    CLI_CONFIG,
    LOCK_FILE,
    STACK,
    Stack,
    base_env,
    base_vars,
    load_build_zip,
    plan_json,
    terraform_binary,
)
from tests.support.shared_settings_cases import SHARED_SETTINGS


def test_init_keeps_the_committed_provider_lock(stack: Stack) -> None:
    # Init started from the committed lock and found nothing to add: it pins the provider the
    # stack requires, with the hash of the package the mirror holds.
    assert (stack.workdir / LOCK_FILE).read_text() == (STACK / LOCK_FILE).read_text()


def test_stack_is_formatted() -> None:
    terraform = terraform_binary()
    env = base_env() | {"TF_CLI_CONFIG_FILE": str(CLI_CONFIG), "CHECKPOINT_DISABLE": "1"}
    result = subprocess.run(
        [terraform, "fmt", "-check", "-diff", "-recursive", "-no-color", str(STACK)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run terraform fmt {STACK}:\n{result.stdout}{result.stderr}"


def test_zip_is_reproducible_and_skips_caches(tmp_path: Path) -> None:
    build_zip = load_build_zip()
    source = tmp_path / "src"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (source / "pkg" / "__pycache__" / "__init__.cpython-312.pyc").write_bytes(b"\0")
    (source / "pkg.egg-info").mkdir()
    (source / "pkg.egg-info" / "PKG-INFO").write_text("Name: pkg\n")
    (source / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    deps = tmp_path / "deps"
    (deps / "bin").mkdir(parents=True)
    (deps / "bin" / "normalizer").write_text("#!/usr/bin/python\n")
    (deps / "requests").mkdir()
    (deps / "requests" / "__init__.py").write_text("")

    first, second = tmp_path / "a" / "one.zip", tmp_path / "b" / "two.zip"
    build_zip.build(first, [source, deps])
    os.utime(source / "handler.py", (1_000_000_000, 1_000_000_000))  # only the mtime changes
    build_zip.build(second, [source, deps])

    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["handler.py", "pkg/__init__.py", "requests/__init__.py"]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}

    (source / "handler.py").write_text("def handler(event, context):\n    return 2\n")
    build_zip.build(second, [source, deps])
    assert first.read_bytes() != second.read_bytes()

    (deps / "handler.py").write_text("")
    with pytest.raises(SystemExit, match=r"handler\.py"):
        build_zip.build(second, [source, deps])


# name -> (a refused value as an HCL expression, words of its refusal): the settings both stacks
# share (tests/support/shared_settings_cases.py), then AWS's own.
BAD_VALUES: dict[str, tuple[str, str]] = {
    **{name: (case.bad, case.refusal) for name, case in SHARED_SETTINGS.items()},
    "memory_size": ("64", "from 128 to 10240"),
    "timeout": ("901", "from 1 to 900"),
    "reserved_concurrent_executions": ("0", "-1 (unreserved)"),
    "runtime": ('"python3.11"', "python3.12 or python3.13"),
    "log_retention_days": ("10", "CloudWatch Logs retention value"),
    # AWS's bounds (queue.tf), not Google Cloud's (from 1).
    "reconcile_concurrency": ("1", "whole number from 2 to 1000"),
}


# Settings with a validation that reads another variable: Terraform skips all of a variable's
# validations when a variable it reads is refused too, so these are planned without the others.
READ_OTHERS = ("green_api_instances", "business_hours", "digest_time")


def refusals(stack: Stack, values: dict[str, str]) -> str:
    """The errors of a plan with the base variables and then `values` (name -> HCL)."""
    bad_vars = stack.workdir / "bad.tfvars"
    bad_vars.write_text("".join(f"{name} = {value}\n" for name, value in values.items()))
    plan = stack.terraform(
        "plan",
        "-input=false",
        stack.write_vars("base.tfvars.json", base_vars(stack)),
        f"-var-file={bad_vars}",
        check=False,
    )
    assert plan.returncode != 0
    # Terraform wraps long messages; compare with the line breaks folded.
    return " ".join(plan.stderr.split())


def test_bad_values_are_refused(stack: Stack) -> None:
    # One plan for all of them (each plan loads the provider's large schema): Terraform checks
    # every variable and reports each failed validation before it calls any API.
    checked = {name: value for name, (value, _) in BAD_VALUES.items() if name not in READ_OTHERS}
    errors = refusals(stack, checked)
    for name in checked:
        assert f"var.{name}" in errors, name
        assert BAD_VALUES[name][1] in errors, (name, errors)


@pytest.mark.parametrize(
    ("name", "words"),
    [(name, BAD_VALUES[name][1]) for name in READ_OTHERS]
    # The base variables' one instance (its id and token) and a map besides.
    + [("green_api_instances", "not both")],
)
def test_a_bad_value_is_refused_alone(stack: Stack, name: str, words: str) -> None:
    errors = refusals(stack, {name: BAD_VALUES[name][0]})
    assert f"var.{name}" in errors
    assert words in errors, errors


def test_a_digest_needs_a_chat_to_send_it_to(stack: Stack) -> None:
    # The base variables name no operator_chat_id to send it to.
    errors = refusals(stack, {"digest_time": '"09:00"'})
    assert "var.digest_time" in errors
    assert "digest_time needs reconcile_enabled" in errors


def test_one_instance_needs_its_id(stack: Stack) -> None:
    # Without it the function would accept any instance's notifications and look up no names.
    without_id = {k: v for k, v in base_vars(stack).items() if k != "green_api_id_instance"}
    plan = stack.terraform(
        "plan", "-input=false", stack.write_vars("no-id.tfvars.json", without_id), check=False
    )
    assert plan.returncode != 0
    errors = " ".join(plan.stderr.split())
    assert "var.green_api_instances" in errors
    assert "with green_api_id_instance and green_api_token" in errors


def test_safe_defaults(stack: Stack) -> None:
    """Without the optional variables: retention 365 days, deletion protection, point-in-time
    recovery, a concurrency cap, JSON logs, and no alerting resources."""
    required = {
        key: base_vars(stack)[key]
        for key in ("region", "package_zip", "green_api_id_instance", "green_api_token")
    }
    plan = plan_json(stack, stack.write_vars("required.tfvars.json", required))
    # A resource whose every value is known only after apply (the redrive policy) has none.
    resources = {
        resource["address"]: resource.get("values", {})
        for resource in plan["planned_values"]["root_module"]["resources"]
    }
    table = resources["aws_dynamodb_table.calls"]
    assert table["deletion_protection_enabled"] is True
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["ttl"][0]["enabled"] is True
    assert table["ttl"][0]["attribute_name"] == "expireAt"
    function = resources["aws_lambda_function.webhook"]
    assert function["reserved_concurrent_executions"] == 10
    assert function["logging_config"][0]["log_format"] == "JSON"
    # The environment holds ARNs known only after apply; the defaults behind it:
    defaults = {
        name: variable.get("default")
        for name, variable in plan["configuration"]["root_module"]["variables"].items()
    }
    assert defaults["record_retention_days"] == 365
    assert (defaults["log_level"], defaults["log_chat_ids"]) == ("INFO", "masked")
    assert defaults["alert_email"] is None
    assert not [address for address in resources if "alarm" in address or "sns" in address]


# What a deployed stack's state may hold: the resources of the last release (commit 783d1f1;
# `git grep -E '^resource ' 783d1f1 -- terraform/aws`), and the older address its own `moved`
# block still carried (the webhook token's version before it lost its count).
RELEASED = {
    "aws_sns_topic.alerts",
    "aws_sns_topic_subscription.email",
    "aws_cloudwatch_log_metric_filter.alarms",
    "aws_cloudwatch_metric_alarm.logs",
    "aws_cloudwatch_metric_alarm.platform",
    "aws_dynamodb_table.calls",
    "aws_iam_role.function",
    "aws_iam_role_policy.function",
    "aws_cloudwatch_log_group.function",
    "aws_lambda_function.webhook",
    "aws_lambda_function_url.webhook",
    "aws_lambda_permission.function_url",
    "aws_lambda_permission.function_invoke",
    "aws_cloudwatch_log_group.reconcile",
    "aws_iam_role.reconcile",
    "aws_iam_role_policy.reconcile",
    "aws_lambda_function.reconcile",
    "aws_iam_role.scheduler",
    "aws_iam_role_policy.scheduler",
    "aws_scheduler_schedule.reconcile",
    "aws_cloudwatch_log_metric_filter.reconcile_missing_calls",
    "aws_secretsmanager_secret.webhook_token",
    "aws_secretsmanager_secret.green_api_token",
    "aws_secretsmanager_secret_version.webhook_token",
    "aws_secretsmanager_secret_version.green_api_token",
    "aws_secretsmanager_secret_version.webhook_token_given",
}
MOVED = re.compile(r"moved\s*\{\s*from\s*=\s*(\S+)\s*to\s*=\s*(\S+)\s*\}")
RESOURCE = re.compile(r'^resource\s+"(\w+)"\s+"(\w+)"', re.MULTILINE)


def test_a_deployed_stack_keeps_its_renamed_resources(stack: Stack) -> None:
    """A released address the stack no longer declares needs a `moved` block, or applying the
    new version would destroy the deployed resource (a role, its policy) and create it again; a
    block for an address no release had moves nothing."""
    text = "\n".join(path.read_text() for path in sorted(STACK.glob("*.tf")))
    moved = dict(MOVED.findall(text))
    declared = {f"{kind}.{name}" for kind, name in RESOURCE.findall(text)}
    moved_from = {re.sub(r"\[.*\]$", "", address) for address in moved}
    assert moved_from <= RELEASED
    assert RELEASED - declared <= moved_from
    plan = plan_json(stack, stack.write_vars("renamed.tfvars.json", base_vars(stack)))
    addresses = {r["address"] for r in plan["planned_values"]["root_module"]["resources"]}
    assert set(moved.values()) <= addresses
