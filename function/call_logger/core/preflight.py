"""Decisions of `python -m call_logger preflight`: can `terraform apply` succeed on this project?

Pure: each function takes what a command printed (terraform console, gcloud --format=json),
already parsed, and returns findings, one line each that says what is wrong and what to do. The
commands are run by call_logger.cli._cloud; cli.preflight runs the steps in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

# The organisation policy that limits IAM members to given customer IDs (Domain Restricted
# Sharing). allUsers belongs to no customer, so any restriction refuses the public invoker.
DOMAIN_RESTRICTED_SHARING = "iam.allowedPolicyMemberDomains"
# Its managed successor (Organization Policy v2, with parameters): allUsers passes only when an
# enforced rule names it in allowedMemberSubjects.
MANAGED_ALLOWED_MEMBERS = "iam.managed.allowedPolicyMembers"
PUBLIC_MEMBER = "allUsers"

T = TypeVar("T")


@dataclass(frozen=True)
class DeployFacts:
    """What the stack will deploy, as Terraform resolves it (local.deploy_facts)."""

    project_id: str
    firestore_database: str
    firestore_location: str
    apis: tuple[str, ...]


@dataclass(frozen=True)
class Failed:
    """A command that exited non-zero (or could not run), with its error output."""

    message: str

    @property
    def summary(self) -> str:
        """The last non-empty line: gcloud puts the reason there ("ERROR: ... NOT_FOUND: ...")."""
        lines = [line.strip() for line in self.message.splitlines() if line.strip()]
        return lines[-1] if lines else "no error output"


@dataclass(frozen=True)
class Finding:
    """One line for the operator. blocking: `terraform apply` would fail, so stop before it."""

    text: str
    blocking: bool

    def __str__(self) -> str:
        return f"{'problem' if self.blocking else 'note'}: {self.text}"


Parsed = Mapping[str, Any]


def parse_console_json(console_output: str, build: Callable[[Parsed], T]) -> T:
    """build() of `jsonencode(local.deploy_facts)` as terraform console prints it: a quoted JSON
    string (both clouds' stacks print their facts so)."""
    try:
        return build(json.loads(json.loads(console_output.strip())))
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"unexpected terraform console output {console_output!r}") from error


def parse_deploy_facts(console_output: str) -> DeployFacts:
    return parse_console_json(
        console_output,
        lambda facts: DeployFacts(
            project_id=str(facts["project_id"]),
            firestore_database=str(facts["firestore_database"]),
            firestore_location=str(facts["firestore_location"]),
            apis=tuple(str(api) for api in facts["apis"]),
        ),
    )


def gcloud_account(accounts: Sequence[Parsed] | Failed) -> str | None:
    """The active account from `gcloud auth list --filter=status:ACTIVE`, None if logged out."""
    if isinstance(accounts, Failed):
        return None
    active = [a.get("account") for a in accounts if a.get("status") == "ACTIVE"]
    return str(active[0]) if active and active[0] else None


def billing_findings(project_id: str, billing: Parsed | Failed) -> list[Finding]:
    """From `gcloud billing projects describe` (billingEnabled is absent when false)."""
    if isinstance(billing, Failed):
        return [Finding(f"could not check billing of {project_id}: {billing.summary}", False)]
    if billing.get("billingEnabled") is True:
        return []
    return [
        Finding(
            f"billing is not enabled on project {project_id}: link a billing account "
            f"(gcloud billing projects link {project_id} --billing-account=ACCOUNT_ID, or "
            "console.cloud.google.com/billing), then rerun make deploy",
            True,
        )
    ]


def enable_findings(facts: DeployFacts, result: Failed | None) -> list[Finding]:
    """From `gcloud services enable`: None when it succeeded."""
    if result is None:
        return []
    return [
        Finding(
            f"could not enable the APIs on {facts.project_id} ({result.summary}): the account "
            "needs the Service Usage Admin role (or Owner) on the project",
            True,
        )
    ]


def existing_database(database: Parsed | Failed) -> Parsed | Failed | None:
    """From `gcloud firestore databases describe`: the database, None when there is none."""
    if isinstance(database, Failed) and "NOT_FOUND" in database.message:
        return None
    return database


def firestore_findings(facts: DeployFacts, database: Parsed | Failed | None) -> list[Finding]:
    """Whether the stack can create, or adopt, the configured database."""
    name = facts.firestore_database
    if database is None:
        return []
    if isinstance(database, Failed):
        return [
            Finding(
                f"could not check whether Firestore database {name} exists ({database.summary}); "
                "if it does, the apply fails with 'already exists': rerun make deploy once the "
                "check works, or see the troubleshooting table in docs/deploy-gcp.md",
                False,
            )
        ]
    new_name = 'set firestore_database to a new name such as "call-logger" in terraform.tfvars'
    if database.get("type") != "FIRESTORE_NATIVE":
        return [
            Finding(
                f"Firestore database {name} in project {facts.project_id} is in "
                f"{database.get('type', 'an unknown')} mode, not native mode, and a mode is "
                f"permanent: {new_name}",
                True,
            )
        ]
    location = str(database.get("locationId", ""))
    if location.lower() != facts.firestore_location.lower():
        return [
            Finding(
                f"Firestore database {name} in project {facts.project_id} is in {location}, "
                f"not {facts.firestore_location}, and a location is permanent: set "
                f'firestore_location = "{location}", or {new_name}',
                True,
            )
        ]
    return [
        Finding(
            f"Firestore database {name} exists ({location}, native mode): the apply adopts it "
            "and keeps its records",
            False,
        )
    ]


def org_policy_findings(project_id: str, policy: Parsed | Failed) -> list[Finding]:
    """From `gcloud resource-manager org-policies describe --effective` (v1 policy)."""
    if isinstance(policy, Failed):
        return _unread_policy(DOMAIN_RESTRICTED_SHARING, project_id, policy, "restricts members")
    rules = policy.get("listPolicy") or {}  # none: the default, which admits everyone
    allowed = list(rules.get("allowedValues") or [])
    if rules.get("allValues") == "ALLOW" or (rules.get("allValues") != "DENY" and not allowed):
        return []
    admitted = ", ".join(allowed) if allowed else "no one"
    return [
        Finding(
            f"organisation policy {DOMAIN_RESTRICTED_SHARING} (Domain Restricted Sharing) on "
            f"{project_id} admits only {admitted}, so Cloud Run will refuse the public invoker "
            "(allUsers) that GREEN-API needs: an organisation policy administrator must allow "
            "all values of this policy for the project (or exempt it with a tag), then rerun "
            "make deploy",
            True,
        )
    ]


def firestore_database_exists(database: Parsed | Failed | None) -> bool | None:
    """The firestore_database_exists variable for the apply; None when unknown (left unset)."""
    if isinstance(database, Failed):
        return None
    return database is not None


def managed_policy_findings(project_id: str, policy: Parsed | Failed) -> list[Finding]:
    """From `gcloud org-policies describe iam.managed.allowedPolicyMembers --effective` (v2)."""
    if isinstance(policy, Failed):
        return _unread_policy(MANAGED_ALLOWED_MEMBERS, project_id, policy, "is enforced")
    spec = policy.get("spec") or {}
    enforced = [rule for rule in spec.get("rules") or [] if rule.get("enforce") is True]
    admitted = [
        member
        for rule in enforced
        for member in (rule.get("parameters") or {}).get("allowedMemberSubjects") or []
    ]
    if not enforced or PUBLIC_MEMBER in admitted:
        return []
    return [
        Finding(
            f"organisation policy {MANAGED_ALLOWED_MEMBERS} is enforced on {project_id} and its "
            f"allowedMemberSubjects do not include {PUBLIC_MEMBER}, so Cloud Run will refuse the "
            "public invoker that GREEN-API needs: an organisation policy administrator must add "
            f"{PUBLIC_MEMBER} to allowedMemberSubjects for this project (or exempt it with a "
            "tag), then rerun make deploy",
            True,
        )
    ]


def _unread_policy(name: str, project_id: str, failure: Failed, blocks_when: str) -> list[Finding]:
    return [
        Finding(
            f"could not read the organisation policy {name} of {project_id} ({failure.summary}); "
            f"if it {blocks_when}, making the function public fails at the end of the apply",
            False,
        )
    ]
