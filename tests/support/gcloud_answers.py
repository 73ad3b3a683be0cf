"""gcloud's --format=json answers (their shapes) for a project, for the fake gcloud."""

from __future__ import annotations

from typing import Any

from call_logger.core.preflight import DeployFacts

from tests.support.fake_cli import FakeCli

PROJECT = "demo-project"
# What `terraform console` tells the preflight about the stack: the APIs it enables, the database.
APIS = ("cloudfunctions.googleapis.com", "firestore.googleapis.com", "serviceusage.googleapis.com")
FACTS = DeployFacts(PROJECT, "(default)", "europe-west1", APIS)

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


def answer_project(
    gcloud: FakeCli,
    *,
    billing: dict[str, Any] = BILLING_ON,
    database: dict[str, Any] | None = None,
    policy: dict[str, Any] = POLICY_DEFAULT,
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
    return gcloud
