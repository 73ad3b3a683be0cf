"""Decisions of the AWS preflight (core.preflight_aws): what is reserved, what stops."""

from __future__ import annotations

import json

import pytest
from call_logger.core import preflight_aws as decide
from call_logger.core.preflight import Failed, Finding
from call_logger.core.preflight_aws import UNRESERVED, AwsDeployFacts, Concurrency

NAME = "green-call-logger"
ROLES = (f"{NAME}-function", f"{NAME}-reconcile-function", f"{NAME}-reconcile-scheduler")
FACTS = AwsDeployFacts(NAME, "eu-central-1", NAME, 10, ROLES)


def account(limit: int, *, reserved_for_function: int = 0) -> Concurrency:
    """A fresh account's settings: everything unreserved but this function's own reservation."""
    return Concurrency(limit, limit - reserved_for_function, reserved_for_function)


def one_line(findings: list[Finding]) -> str:
    [finding] = findings
    assert "\n" not in finding.text
    return str(finding)


def test_a_new_account_with_a_quota_of_10_deploys_unreserved_and_says_what_bounds_cost() -> None:
    reserved, findings = decide.reserved_concurrency(FACTS, account(10))

    assert reserved == UNRESERVED
    line = one_line(findings)
    assert line.startswith("note:")  # not blocking: the deploy goes on
    assert "is 10" in line and "unreserved" in line
    assert "at most 10 requests run at once" in line
    assert "Service Quotas" in line


def test_an_account_with_a_quota_of_1000_reserves_what_was_asked() -> None:
    assert decide.reserved_concurrency(FACTS, account(1000)) == (10, [])


def test_the_last_100_of_the_account_stay_unreserved() -> None:
    assert decide.reserved_concurrency(FACTS, account(110))[0] == 10
    assert decide.reserved_concurrency(FACTS, account(109))[0] == UNRESERVED


def test_the_function_s_own_reservation_counts_as_available_on_a_redeploy() -> None:
    # Deployed before with 10 reserved on a 110 account: 100 unreserved now, and the same
    # reservation again leaves 100.
    assert decide.reserved_concurrency(FACTS, account(110, reserved_for_function=10))[0] == 10


def test_unreserved_asked_for_is_kept_without_a_note() -> None:
    facts = AwsDeployFacts(NAME, "eu-central-1", NAME, UNRESERVED, ROLES)
    assert decide.reserved_concurrency(facts, account(10)) == (UNRESERVED, [])


def test_role_names_within_64_characters_pass() -> None:
    longest = "n" * 44 + "-reconcile-scheduler"
    assert len(longest) == 64
    assert decide.name_findings([*ROLES, longest]) == []


def test_a_role_name_over_64_characters_is_refused_before_the_apply() -> None:
    too_long = "n" * 45 + "-reconcile-scheduler"
    line = one_line(decide.name_findings([*ROLES, too_long]))
    assert line.startswith("problem:")
    assert "65 characters" in line and "shorter name" in line


def test_failed_credentials_stop_the_deploy_with_what_to_do() -> None:
    failed = Failed("NoCredentialsError: Unable to locate credentials")
    line = one_line(decide.credentials_findings(failed))
    assert line.startswith("problem:") and "aws configure" in line
    assert decide.credentials_findings({"Account": "123456789012"}) == []


def test_a_region_where_lambda_does_not_answer_stops_the_deploy() -> None:
    failed = Failed("EndpointConnectionError: Could not connect to the endpoint URL")
    line = one_line(decide.region_findings("xx-nowhere-1", failed))
    assert line.startswith("problem:") and "xx-nowhere-1" in line
    assert decide.region_findings("eu-central-1", account(1000)) == []


def test_a_missing_tfvars_stops_the_deploy_naming_the_example() -> None:
    line = one_line(decide.tfvars_findings("terraform/aws", present=False))
    assert "terraform/aws/terraform.tfvars.example" in line
    assert decide.tfvars_findings("terraform/aws", present=True) == []


def test_deploy_facts_as_terraform_console_prints_them() -> None:
    facts = {
        "name": NAME,
        "region": "eu-central-1",
        "function_name": NAME,
        "reserved_concurrent_executions": 10,
        "iam_role_names": list(ROLES),
    }
    assert decide.parse_deploy_facts(json.dumps(json.dumps(facts)) + "\n") == FACTS
    with pytest.raises(ValueError, match="unexpected terraform console output"):
        decide.parse_deploy_facts('"{}"')


def test_concurrency_from_lambda_account_settings() -> None:
    settings = {"AccountLimit": {"ConcurrentExecutions": 10, "UnreservedConcurrentExecutions": 10}}
    assert decide.concurrency_from_settings(settings, 0) == Concurrency(10, 10, 0)
    with pytest.raises(ValueError):
        decide.concurrency_from_settings({}, 0)
