"""docs/deploy-gcp.md and docs/deploy-aws.md state the numbers a first deploy depends on: each is
read here from where it is decided (the preflight, wait-ready, the stacks)."""

from __future__ import annotations

import argparse
import re

from call_logger.cli import wait_ready
from call_logger.core.preflight_aws import IAM_NAME_LIMIT, MIN_UNRESERVED

from tests.support.docs import ROOT, section

TERRAFORM = ROOT / "terraform"


def folded(text: str) -> str:
    return " ".join(text.split())


def test_the_aws_prerequisites_state_the_concurrency_rule_the_preflight_applies() -> None:
    prerequisites = folded(section("deploy-aws.md", "Prerequisites"))
    assert f"fewer than {MIN_UNRESERVED} unreserved" in prerequisites
    assert "deploys the function unreserved" in prerequisites
    assert "bounds how many requests run at once" in prerequisites


def test_the_aws_name_limit_is_the_stack_s() -> None:
    variables = (TERRAFORM / "aws" / "variables.tf").read_text()
    [longest] = re.findall(r"\[A-Za-z0-9_-\]\{0,(\d+)\}", variables)
    name_limit = int(longest) + 1
    # The longest derived name, <name>-reconcile-scheduler, fits IAM's limit exactly.
    assert name_limit + len("-reconcile-scheduler") == IAM_NAME_LIMIT
    deploy = folded(section("deploy-aws.md", "Deploy"))
    assert f"within {IAM_NAME_LIMIT} characters (`name` holds at most {name_limit})" in deploy


def test_the_gcp_deploy_states_the_waits_it_makes() -> None:
    deploy = folded(section("deploy-gcp.md", "Deploy"))
    options = argparse.ArgumentParser()
    wait_ready.add_arguments(options)
    minutes = options.parse_args([]).timeout.removesuffix("m")  # wait-ready's default, e.g. 5m
    assert f"at most {minutes} minutes" in deploy
    alerts = (TERRAFORM / "gcp" / "alerts.tf").read_text()
    [seconds] = re.findall(r'create_duration = "(\d+)s"', alerts)
    assert f"wait {int(seconds) // 60} minutes after their log-based metrics" in deploy
    assert "`terraform/gcp/regions.tf`" in deploy and (TERRAFORM / "gcp" / "regions.tf").exists()
