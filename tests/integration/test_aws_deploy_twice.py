"""terraform/aws as `make deploy CLOUD=aws` drives it, applied to moto (the stack of
tests/integration/conftest.py): the preflight reads local.deploy_facts with terraform console, its
decision reaches the apply through build/preflight.tfvars.json, every IAM role name fits 64
characters, and a second deploy changes nothing.

Run with TF_CLI_CONFIG_FILE=terraform/aws/terraformrc.hcl (the offline provider mirror), as
`make pytest` does.
"""

from __future__ import annotations

import subprocess

from call_logger.core.preflight_aws import (
    UNRESERVED,
    Concurrency,
    parse_deploy_facts,
    reserved_concurrency,
)

from tests.support.aws_stack import NAME, Stack, base_vars, planned_changes


def console_facts(stack: Stack, *var_files: str) -> str:
    done = subprocess.run(
        [stack.binary, "console", *var_files],
        input="jsonencode(local.deploy_facts)\n",
        cwd=stack.workdir,
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_a_new_account_deploys_unreserved_and_a_second_deploy_changes_nothing(stack: Stack) -> None:
    base = stack.write_vars("base.tfvars.json", base_vars(stack) | {"alert_email": "a@b.co"})
    facts = parse_deploy_facts(console_facts(stack, base))
    assert (facts.name, facts.region, facts.reserved_concurrent_executions) == (
        NAME,
        "us-east-1",
        3,
    )
    # What the preflight decides on an account whose whole quota is 10, as the apply reads it.
    reserved, notes = reserved_concurrency(facts, Concurrency(10, 10, 0))
    assert reserved == UNRESERVED and notes
    preflight = stack.write_vars(
        "preflight.tfvars.json", {"reserved_concurrent_executions": reserved}
    )

    for _ in range(2):  # two deploys
        stack.terraform("apply", "-input=false", "-auto-approve", base, preflight)

    lambda_ = stack.client("lambda")
    assert "ReservedConcurrentExecutions" not in lambda_.get_function_concurrency(FunctionName=NAME)
    roles = {role["RoleName"] for role in stack.client("iam").list_roles()["Roles"]}
    assert set(facts.iam_role_names) <= roles  # the preflight checks the names that are made
    # Nothing left to do but what moto cannot keep (the Lambda's logging_config; see
    # test_stack_lifecycle_against_moto).
    assert planned_changes(stack, base, preflight) == {
        "aws_lambda_function.webhook": {"logging_config"}
    }
    stack.terraform("destroy", "-input=false", "-auto-approve", base, preflight)


def test_the_longest_name_fits_every_iam_role_and_one_more_character_is_refused(
    stack: Stack,
) -> None:
    base = stack.write_vars("base.tfvars.json", base_vars(stack))
    longest = "n" * 44
    facts = parse_deploy_facts(console_facts(stack, base, f"-var=name={longest}"))
    assert max(len(role) for role in facts.iam_role_names) == 64

    plan = stack.terraform("plan", "-input=false", base, f"-var=name={longest}x", check=False)
    assert plan.returncode != 0
    assert "at most 44" in " ".join(plan.stderr.split())
