"""Decisions of the preflight (call_logger.core.preflight) on gcloud's answers, pure."""

from __future__ import annotations

from typing import Any

import pytest
from call_logger.core import preflight as decide
from call_logger.core.preflight import DeployFacts, Failed, Finding

from tests.support.gcloud_answers import (
    ACTIVE,
    BILLING_OFF,
    BILLING_ON,
    DATABASE,
    NOT_FOUND,
    POLICY_DEFAULT,
    POLICY_RESTRICTED,
    PROJECT,
)

APIS = ("cloudfunctions.googleapis.com", "firestore.googleapis.com", "serviceusage.googleapis.com")
FACTS = DeployFacts(PROJECT, "(default)", "europe-west1", APIS)


def lines(findings: list[Finding]) -> list[str]:
    texts = [str(f) for f in findings]
    assert all("\n" not in text for text in texts)  # one line each
    return texts


def test_unexpected_console_output_is_an_error() -> None:
    with pytest.raises(ValueError, match="unexpected terraform console output"):
        decide.parse_deploy_facts("Error: Reference to undeclared local value")


def test_the_active_account() -> None:
    assert decide.gcloud_account(ACTIVE) == "owner@example.com"
    assert decide.gcloud_account([]) is None
    assert decide.gcloud_account(Failed("ERROR: (gcloud.auth.list) boom")) is None


def test_billing() -> None:
    assert decide.billing_findings(PROJECT, BILLING_ON) == []
    [off] = lines(decide.billing_findings(PROJECT, BILLING_OFF))
    assert off.startswith("problem: billing is not enabled on project demo-project")
    assert "gcloud billing projects link demo-project" in off
    [unknown] = decide.billing_findings(PROJECT, Failed("ERROR: PERMISSION_DENIED: no\n"))
    assert not unknown.blocking
    assert "PERMISSION_DENIED" in unknown.text


def test_enabling_the_apis() -> None:
    assert decide.enable_findings(FACTS, None) == []
    [failed] = decide.enable_findings(FACTS, Failed("ERROR: PERMISSION_DENIED: denied"))
    assert failed.blocking
    assert "Service Usage Admin" in failed.text


def test_a_missing_database_is_created() -> None:
    database = decide.existing_database(Failed(NOT_FOUND))
    assert database is None
    assert decide.firestore_findings(FACTS, database) == []
    assert decide.firestore_database_exists(database) is False


def test_an_existing_native_database_in_the_location_is_adopted() -> None:
    database = decide.existing_database(DATABASE)
    [found] = lines(decide.firestore_findings(FACTS, database))
    assert found.startswith("note: Firestore database (default) exists")
    assert "adopts" in found
    assert decide.firestore_database_exists(database) is True


def test_a_database_elsewhere_says_which_location_to_set() -> None:
    [problem] = lines(decide.firestore_findings(FACTS, {**DATABASE, "locationId": "nam5"}))
    assert problem.startswith("problem: ")
    assert "is in nam5, not europe-west1" in problem
    assert 'firestore_location = "nam5"' in problem
    assert "firestore_database to a new name" in problem


def test_a_datastore_mode_database_needs_another_name() -> None:
    [problem] = lines(decide.firestore_findings(FACTS, {**DATABASE, "type": "DATASTORE_MODE"}))
    assert problem.startswith("problem: ")
    assert "DATASTORE_MODE mode" in problem
    assert "firestore_database to a new name" in problem


def test_an_unreadable_database_is_a_note_and_leaves_the_variable_unset() -> None:
    database = decide.existing_database(Failed("ERROR: PERMISSION_DENIED: datastore.databases.get"))
    assert isinstance(database, Failed)
    [note] = decide.firestore_findings(FACTS, database)
    assert not note.blocking
    assert "already exists" in note.text
    assert decide.firestore_database_exists(database) is None


@pytest.mark.parametrize(
    "policy",
    [POLICY_DEFAULT, {**POLICY_DEFAULT, "listPolicy": {"allValues": "ALLOW"}}],
    ids=["unset", "allow-all"],
)
def test_a_policy_that_admits_everyone(policy: dict[str, Any]) -> None:
    assert decide.org_policy_findings(PROJECT, policy) == []


@pytest.mark.parametrize(
    ("policy", "admitted"),
    [
        (POLICY_RESTRICTED, "C03abc123"),
        ({**POLICY_DEFAULT, "listPolicy": {"allValues": "DENY"}}, "no one"),
    ],
    ids=["customer-ids", "deny-all"],
)
def test_domain_restricted_sharing_refuses_the_public_invoker(
    policy: dict[str, Any], admitted: str
) -> None:
    [problem] = lines(decide.org_policy_findings(PROJECT, policy))
    assert problem.startswith("problem: organisation policy iam.allowedPolicyMemberDomains")
    assert f"admits only {admitted}" in problem
    assert "allUsers" in problem
    assert "administrator must allow" in problem


def test_an_unreadable_policy_is_a_note() -> None:
    [note] = decide.org_policy_findings(PROJECT, Failed("ERROR: PERMISSION_DENIED: orgpolicy"))
    assert not note.blocking
