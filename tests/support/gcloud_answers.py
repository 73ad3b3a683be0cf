"""gcloud's --format=json answers (their shapes) for a project, for the fake gcloud."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.fake_cli import FakeCli

PROJECT = "demo-project"
# What `terraform console` prints for the stack's local.deploy_facts (as JSON, before quoting).
FACTS = {
    "project_id": PROJECT,
    "firestore_database": "(default)",
    "firestore_location": "europe-west1",
    "apis": ["firestore.googleapis.com", "run.googleapis.com", "serviceusage.googleapis.com"],
}

ACTIVE = [{"account": "owner@example.com", "status": "ACTIVE"}]
BILLING_ON = {
    "billingAccountName": "billingAccounts/012345-6789AB-CDEF01",
    "billingEnabled": True,
    "name": f"projects/{PROJECT}/billingInfo",
    "projectId": PROJECT,
}
# Protobuf's JSON leaves a false billingEnabled out.
BILLING_OFF = {"name": f"projects/{PROJECT}/billingInfo", "projectId": PROJECT}
DATABASE = {
    "name": f"projects/{PROJECT}/databases/(default)",
    "locationId": "europe-west1",
    "type": "FIRESTORE_NATIVE",
    "concurrencyMode": "OPTIMISTIC",
    "deleteProtectionState": "DELETE_PROTECTION_ENABLED",
}
NOT_FOUND = (
    "ERROR: (gcloud.firestore.databases.describe) NOT_FOUND: "
    f"Project '{PROJECT}' or database '(default)' does not exist.\n"
)
POLICY_DEFAULT = {"constraint": "constraints/iam.allowedPolicyMemberDomains", "etag": "BwYq0d2w"}
POLICY_RESTRICTED = {**POLICY_DEFAULT, "listPolicy": {"allowedValues": ["C03abc123"]}}
# The managed constraint (Organization Policy v2), not enforced, as --effective shows the default.
MANAGED_NAME = f"projects/{PROJECT}/policies/iam.managed.allowedPolicyMembers"
MANAGED_DEFAULT = {"name": MANAGED_NAME, "spec": {"rules": [{"enforce": False}]}}
MANAGED_ENFORCED = {
    "name": MANAGED_NAME,
    "spec": {
        "rules": [
            {
                "enforce": True,
                "parameters": {"allowedMemberSubjects": ["domain:example.com"]},
            }
        ]
    },
}


def answer_project(
    gcloud: FakeCli,
    *,
    billing: dict[str, Any] = BILLING_ON,
    database: dict[str, Any] | None = None,
    policy: dict[str, Any] = POLICY_DEFAULT,
    managed_policy: dict[str, Any] = MANAGED_DEFAULT,
    enable_error: str | None = None,
) -> FakeCli:
    """A logged-in gcloud on a project: by default billed, no database, no policy."""
    gcloud.install()
    gcloud.answer_json("auth", "list", value=ACTIVE)
    gcloud.answer_json("billing", "projects", "describe", value=billing)
    if enable_error is None:
        gcloud.answer("services", "enable", stderr="Operation finished successfully.\n")
    else:
        gcloud.answer("services", "enable", stderr=enable_error, code=1)
    if database is None:
        gcloud.answer("firestore", "databases", "describe", stderr=NOT_FOUND, code=1)
    else:
        gcloud.answer_json("firestore", "databases", "describe", value=database)
    gcloud.answer_json("resource-manager", "org-policies", "describe", value=policy)
    gcloud.answer_json("org-policies", "describe", value=managed_policy)
    return gcloud


def gcp_stack(tmp_path: Path) -> Path:
    """A stand-in for terraform/gcp (the fake terraform answers for it): its terraform.tfvars."""
    path = tmp_path / "gcp"
    path.mkdir()
    (path / "terraform.tfvars").write_text(f'project_id = "{PROJECT}"\n')
    return path
