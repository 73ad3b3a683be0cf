"""`preflight-aws`: before `terraform apply` of terraform/aws.

Run by `make deploy CLOUD=aws` after `terraform init`. Reads what the stack will deploy
(terraform console), then, with the AWS credentials Terraform will use: checks them, checks that
Lambda answers in the region, and reads the account's concurrency to decide whether the
function's reservation can be afforded. Writes that decision to --tfvars-out for the apply.
The decisions are core.preflight_aws's; boto3 is the operator's (.venv, a development
dependency; the Lambda runtime has its own), imported only here.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from call_logger.cli.preflight import add_stack_arguments, finish_preflight, read_deploy_facts
from call_logger.core import preflight_aws as decide
from call_logger.core.preflight import Failed, Finding, Parsed

NAME = "preflight-aws"
HELP = "before terraform apply on AWS: check credentials, region, concurrency, names"
DESCRIPTION = (
    "Run by `make deploy CLOUD=aws` after `terraform init`. Checks that terraform.tfvars "
    "exists, that every IAM role name fits 64 characters, that the AWS credentials work and "
    "Lambda answers in the region, and whether the account's concurrency can spare "
    "reserved_concurrent_executions (else the function is deployed unreserved, and a note says "
    "what bounds the cost). Prints one line per finding; exits 1 if the apply would fail. "
    "Writes reserved_concurrent_executions to --tfvars-out."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser, "terraform/aws")
    parser.add_argument(
        "--package-zip", required=True, help="the deployment zip (the stack's package_zip)"
    )
    parser.add_argument(
        "--skip-preflight", action="store_true", help="check nothing, reserve as configured"
    )


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    apply_vars: dict[str, int] = {}

    def finish(findings: list[Finding]) -> int:
        return finish_preflight(findings, apply_vars, args.tfvars_out)

    if args.skip_preflight:
        return finish([Finding("skipped (--skip-preflight): nothing checked", False)])
    findings = decide.tfvars_findings(args.stack, (Path(args.stack) / "terraform.tfvars").is_file())
    if findings:
        return finish(findings)
    facts = read_deploy_facts(
        args, decide.parse_deploy_facts, "-var", f"package_zip={args.package_zip}"
    )
    findings = decide.name_findings(facts.iam_role_names)
    account = AwsAccount(facts.region)
    findings += decide.credentials_findings(account.identity())
    if any(f.blocking for f in findings):
        return finish(findings)
    concurrency = account.concurrency(facts.function_name)
    findings += decide.region_findings(facts.region, concurrency)
    if isinstance(concurrency, Failed):
        return finish(findings)
    reserved, notes = decide.reserved_concurrency(facts, concurrency)
    apply_vars["reserved_concurrent_executions"] = reserved
    return finish(findings + notes)


class AwsAccount:
    """The AWS reads the preflight needs, each answering a value or Failed (never raising)."""

    def __init__(self, region: str) -> None:
        self.region = region

    def _client(self, service: str) -> Any:
        import boto3  # the operator's .venv; not a dependency of the function
        from botocore.config import Config as BotoConfig

        config = BotoConfig(connect_timeout=10, read_timeout=30, retries={"max_attempts": 2})
        # A session of its own: boto3's default one keeps the credentials it found first.
        return boto3.session.Session(region_name=self.region).client(service, config=config)

    def identity(self) -> Parsed | Failed:
        try:
            answer: Parsed = self._client("sts").get_caller_identity()
        except Exception as error:  # every failure is a finding, not a crash
            return Failed(f"{type(error).__name__}: {error}")
        return answer

    def concurrency(self, function_name: str) -> decide.Concurrency | Failed:
        try:
            client = self._client("lambda")
            settings = client.get_account_settings()
            try:
                own = client.get_function_concurrency(FunctionName=function_name)
            except client.exceptions.ResourceNotFoundException:
                own = {}  # not deployed yet
            reserved = int(own.get("ReservedConcurrentExecutions") or 0)
            return decide.concurrency_from_settings(settings, reserved)
        except Exception as error:  # every failure is a finding, not a crash
            return Failed(f"{type(error).__name__}: {error}")
