"""Decisions of `python -m call_logger preflight-aws`: can `terraform apply` succeed on AWS?

Pure, as core.preflight is for Google Cloud: each function takes what was read (terraform
console, the AWS APIs), already parsed, and returns findings and the variables the apply needs.
The command (cli.preflight_aws) reads and runs the steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from call_logger.core.preflight import Failed, Finding, Parsed, parse_console_json

# Lambda refuses a reservation that leaves the account fewer unreserved concurrent executions
# than this ("decreases account's UnreservedConcurrentExecution below its minimum value").
MIN_UNRESERVED = 100
# IAM role names (and Lambda function names) are at most this long.
IAM_NAME_LIMIT = 64
UNRESERVED = -1  # reserved_concurrent_executions for "no reservation"


@dataclass(frozen=True)
class AwsDeployFacts:
    """What terraform/aws will deploy, as Terraform resolves it (local.deploy_facts)."""

    name: str
    region: str
    function_name: str
    reserved_concurrent_executions: int
    iam_role_names: tuple[str, ...]


@dataclass(frozen=True)
class Concurrency:
    """The account's Lambda concurrency in the region, and this function's reservation now."""

    limit: int
    unreserved: int
    reserved_for_function: int  # 0 when it has none (or does not exist yet)


def parse_deploy_facts(console_output: str) -> AwsDeployFacts:
    return parse_console_json(
        console_output,
        lambda facts: AwsDeployFacts(
            name=str(facts["name"]),
            region=str(facts["region"]),
            function_name=str(facts["function_name"]),
            reserved_concurrent_executions=int(facts["reserved_concurrent_executions"]),
            iam_role_names=tuple(str(name) for name in facts["iam_role_names"]),
        ),
    )


def tfvars_findings(stack: str, present: bool) -> list[Finding]:
    if present:
        return []
    return [
        Finding(
            f"{stack}/terraform.tfvars is missing: copy {stack}/terraform.tfvars.example to it, "
            "fill it in, then rerun make deploy CLOUD=aws",
            True,
        )
    ]


def name_findings(role_names: Sequence[str]) -> list[Finding]:
    """Every IAM role the stack creates must fit IAM's limit, or the apply fails half-way."""
    return [
        Finding(
            f"the IAM role name {role!r} is {len(role)} characters, more than IAM's "
            f"{IAM_NAME_LIMIT}: set a shorter name in terraform.tfvars",
            True,
        )
        for role in role_names
        if len(role) > IAM_NAME_LIMIT
    ]


def credentials_findings(identity: Parsed | Failed) -> list[Finding]:
    """From sts:GetCallerIdentity: the credentials Terraform will use work."""
    if not isinstance(identity, Failed):
        return []
    return [
        Finding(
            f"no usable AWS credentials ({identity.summary}): configure them as for the AWS "
            "CLI (aws configure, AWS_PROFILE, or aws sso login), then rerun make deploy CLOUD=aws",
            True,
        )
    ]


def region_findings(region: str, concurrency: Concurrency | Failed) -> list[Finding]:
    """From lambda:GetAccountSettings in the region: Lambda answers there."""
    if not isinstance(concurrency, Failed):
        return []
    return [
        Finding(
            f"cannot use Lambda in region {region} ({concurrency.summary}): check region in "
            "terraform.tfvars (an opt-in region must be enabled for the account first) and "
            "that the credentials may call lambda:GetAccountSettings",
            True,
        )
    ]


def reserved_concurrency(
    facts: AwsDeployFacts, concurrency: Concurrency
) -> tuple[int, list[Finding]]:
    """The reserved_concurrent_executions to apply: the one asked for when the account can spare
    it, else none (Lambda would refuse it, and a refused reservation taints the function)."""
    wanted = facts.reserved_concurrent_executions
    if wanted == UNRESERVED:
        return UNRESERVED, []
    # The function's own reservation, if any, is already missing from the unreserved pool.
    spare = concurrency.unreserved + concurrency.reserved_for_function
    if spare - wanted >= MIN_UNRESERVED:
        return wanted, []
    return UNRESERVED, [
        Finding(
            f"the account's Lambda concurrency in {facts.region} is {concurrency.limit} and AWS "
            f"keeps {MIN_UNRESERVED} of it unreserved, so {wanted} cannot be reserved for "
            f"{facts.function_name}: deploying it unreserved. What bounds the cost meanwhile: "
            f"at most {concurrency.limit} requests run at once in the whole account (GREEN-API "
            "resends what is throttled). To reserve, ask for more in Service Quotas (AWS "
            "Lambda, Concurrent executions) and deploy again",
            False,
        )
    ]


def concurrency_from_settings(settings: Mapping[str, object], reserved: int) -> Concurrency:
    """GetAccountSettings' AccountLimit, with GetFunctionConcurrency's reservation (0: none)."""
    limit = settings.get("AccountLimit")
    if not isinstance(limit, Mapping):
        raise ValueError(f"no AccountLimit in {settings!r}")
    return Concurrency(
        limit=int(limit["ConcurrentExecutions"]),
        unreserved=int(limit["UnreservedConcurrentExecutions"]),
        reserved_for_function=reserved,
    )
