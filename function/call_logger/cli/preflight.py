"""`preflight`: before terraform apply on Google Cloud, enable the APIs and check the project."""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from call_logger.cli._common import CommandFailed, Exit, fail
from call_logger.core.preflight import Failed, Finding

T = TypeVar("T")

NAME = "preflight"
HELP = "before terraform apply on Google Cloud: enable the APIs and check the project"
DESCRIPTION = (
    "Run by `make deploy` after `terraform init`. Reads the project, the Firestore "
    "database and the APIs from the stack (terraform console), then, when gcloud is "
    "installed and logged in: checks that billing is enabled, enables the APIs (they take "
    "a while to become usable), checks that an existing Firestore database can be "
    "adopted and that the organisation policies (iam.allowedPolicyMemberDomains, "
    "iam.managed.allowedPolicyMembers) admit the public invoker. Prints one line "
    "per finding; exits 1 if the apply would fail. Writes the variables the apply needs "
    "(firestore_database_exists) to --tfvars-out."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser, "terraform/gcp")
    parser.add_argument("--gcloud", default="gcloud", help="gcloud executable")
    parser.add_argument(
        "--skip-preflight",
        action="store_true",
        help="check and enable nothing (the apply then cannot adopt an existing database)",
    )


def add_stack_arguments(parser: argparse.ArgumentParser, stack: str) -> None:
    """The arguments both clouds' preflights take first: the stack, where the variables for the
    apply go, and terraform."""
    parser.add_argument("--stack", required=True, help=f"the {stack} directory")
    parser.add_argument(
        "--tfvars-out", required=True, metavar="PATH", help="JSON variables file for the apply"
    )
    parser.add_argument("--terraform", default="terraform", help="terraform executable")


def read_deploy_facts(args: argparse.Namespace, parse: Callable[[str], T], *options: str) -> T:
    """What the stack will deploy (terraform console), parsed; a failure ends the command."""
    from call_logger.cli._cloud import deploy_facts_output

    output = deploy_facts_output(args.terraform, args.stack, *options)
    if isinstance(output, Failed):
        message = f"terraform console failed:\n{output.message}"
        raise CommandFailed("preflight", message, Exit.FAILED)
    try:
        return parse(output)
    except ValueError as error:
        raise CommandFailed("preflight", str(error), Exit.FAILED) from None


def finish_preflight(findings: list[Finding], apply_vars: Mapping[str, Any], out: str) -> int:
    """Print the findings, write the variables for the apply, fail if the apply would (both
    clouds' preflights end here)."""
    for finding in findings:
        print(f"preflight: {finding}")
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(apply_vars) + "\n")
    problems = sum(f.blocking for f in findings)
    if problems:
        message = (
            f"{problems} problem(s) above would fail the apply: fix them and rerun "
            "(--skip-preflight deploys without these checks)"
        )
        return fail("preflight", message, Exit.FAILED)
    return Exit.OK


def run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    from call_logger.cli._cloud import Gcloud
    from call_logger.core import preflight as decide

    def finish(findings: list[decide.Finding], exists: bool | None = None) -> int:
        apply_vars = {} if exists is None else {"firestore_database_exists": exists}
        return finish_preflight(findings, apply_vars, args.tfvars_out)

    def note(text: str) -> decide.Finding:
        return decide.Finding(text, blocking=False)

    if args.skip_preflight:
        return finish([note("skipped (--skip-preflight): nothing checked, no APIs enabled")])
    facts = read_deploy_facts(args, decide.parse_deploy_facts)
    gcloud = shutil.which(args.gcloud)
    if gcloud is None:
        return finish(
            [note("gcloud not found: project not checked and APIs left to Terraform (slower)")]
        )
    cloud = Gcloud(gcloud)
    if decide.gcloud_account(cloud.active_accounts()) is None:
        return finish([note("gcloud is not logged in (gcloud auth login): project not checked")])
    findings = decide.billing_findings(facts.project_id, cloud.billing(facts.project_id))
    if any(f.blocking for f in findings):
        return finish(findings)  # without billing, enabling the APIs fails too
    print(f"preflight: enabling {len(facts.apis)} APIs on {facts.project_id}", flush=True)
    findings += decide.enable_findings(facts, cloud.enable(facts))
    if any(f.blocking for f in findings):
        return finish(findings)
    database = decide.existing_database(cloud.firestore_database(facts))
    findings += decide.firestore_findings(facts, database)
    findings += decide.org_policy_findings(facts.project_id, cloud.domain_policy(facts.project_id))
    findings += decide.managed_policy_findings(
        facts.project_id, cloud.managed_members_policy(facts.project_id)
    )
    return finish(findings, decide.firestore_database_exists(database))
