"""`python -m call_logger preflight`: its decisions on gcloud's answers, and the command with a
fake gcloud and a fake terraform on PATH (tests/support/fake_cli.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from call_logger import preflight as decide
from call_logger.cli import main
from call_logger.preflight import DeployFacts, Failed, Finding

from tests.support.fake_cli import FakeCli, logged_calls
from tests.support.gcloud_answers import (
    ACTIVE,
    BILLING_OFF,
    BILLING_ON,
    DATABASE,
    NOT_FOUND,
    POLICY_DEFAULT,
    POLICY_RESTRICTED,
    PROJECT,
    answer_project,
)

APIS = ("cloudfunctions.googleapis.com", "firestore.googleapis.com", "serviceusage.googleapis.com")
FACTS = DeployFacts(PROJECT, "(default)", "europe-west1", APIS)


def lines(findings: list[Finding]) -> list[str]:
    texts = [str(f) for f in findings]
    assert all("\n" not in text for text in texts)  # one line each
    return texts


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking]


# --- Decisions ------------------------------------------------------------------------------


def test_reads_deploy_facts_as_terraform_console_prints_them(tmp_path: Path) -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed")
    # A module without providers: console needs no init for it.
    (tmp_path / "main.tf").write_text(
        "locals {\n  deploy_facts = {\n"
        '    project_id = "demo-project", firestore_database = "(default)",\n'
        '    firestore_location = "eur3", apis = ["run.googleapis.com", "iam.googleapis.com"]\n'
        "  }\n}\n"
    )
    printed = subprocess.run(
        [terraform, f"-chdir={tmp_path}", "console"],
        input="jsonencode(local.deploy_facts)\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert decide.parse_deploy_facts(printed) == DeployFacts(
        PROJECT, "(default)", "eur3", ("run.googleapis.com", "iam.googleapis.com")
    )


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


# --- The command ----------------------------------------------------------------------------


def console_output(facts: DeployFacts) -> str:
    """terraform console's rendering of jsonencode(...): the JSON text as a quoted string."""
    value = {
        "project_id": facts.project_id,
        "firestore_database": facts.firestore_database,
        "firestore_location": facts.firestore_location,
        "apis": list(facts.apis),
    }
    return json.dumps(json.dumps(value)) + "\n"


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds only the fakes: a real gcloud on the machine is never reached."""
    path = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(path))
    return path


@pytest.fixture
def terraform(bin_dir: Path) -> FakeCli:
    fake = FakeCli("terraform", bin_dir).install()
    fake.answer("console", stdout=console_output(FACTS))
    return fake


@pytest.fixture
def gcloud(bin_dir: Path) -> FakeCli:
    """A logged-in gcloud on a ready project without a database."""
    return answer_project(FakeCli("gcloud", bin_dir))


def preflight(tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "stack" / "build" / "preflight.tfvars.json"
    code = main(["preflight", "--stack", str(tmp_path / "stack"), "--tfvars-out", str(out), *extra])
    return code, json.loads(out.read_text())


def test_a_ready_project_gets_its_apis_enabled(
    tmp_path: Path, terraform: FakeCli, gcloud: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    code, apply_vars = preflight(tmp_path)

    assert code == 0
    assert apply_vars == {"firestore_database_exists": False}
    assert terraform.calls() == [[f"-chdir={tmp_path / 'stack'}", "console"]]
    commands = [argv[:2] for argv in gcloud.calls()]
    assert commands == [
        ["auth", "list"],
        ["billing", "projects"],
        ["services", "enable"],
        ["firestore", "databases"],
        ["resource-manager", "org-policies"],
    ]
    [enable] = [argv for argv in gcloud.calls() if argv[:2] == ["services", "enable"]]
    assert enable[2 : 2 + len(APIS)] == list(APIS)
    assert f"--project={PROJECT}" in enable
    assert "problem" not in capsys.readouterr().out


def test_an_existing_database_is_adopted(
    tmp_path: Path, terraform: FakeCli, gcloud: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    answer_project(gcloud, database=DATABASE)

    code, apply_vars = preflight(tmp_path)

    assert code == 0
    assert apply_vars == {"firestore_database_exists": True}
    assert "adopts it and keeps its records" in capsys.readouterr().out


def test_without_billing_it_stops_before_enabling(
    tmp_path: Path, terraform: FakeCli, gcloud: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    answer_project(gcloud, billing=BILLING_OFF)

    code, _ = preflight(tmp_path)

    assert code == 1
    assert [argv[:2] for argv in gcloud.calls()] == [["auth", "list"], ["billing", "projects"]]
    captured = capsys.readouterr()
    assert "problem: billing is not enabled on project demo-project" in captured.out
    assert "1 problem(s)" in captured.err


def test_every_problem_is_reported_before_it_stops(
    tmp_path: Path, terraform: FakeCli, gcloud: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    answer_project(gcloud, database={**DATABASE, "locationId": "nam5"}, policy=POLICY_RESTRICTED)

    code, _ = preflight(tmp_path)

    assert code == 1
    out = capsys.readouterr().out
    assert out.count("preflight: problem: ") == 2
    assert "is in nam5" in out
    assert "iam.allowedPolicyMemberDomains" in out


def test_a_failed_enable_stops_it(
    tmp_path: Path, terraform: FakeCli, gcloud: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    answer_project(gcloud, enable_error="ERROR: PERMISSION_DENIED: denied\n")

    code, _ = preflight(tmp_path)

    assert code == 1
    assert "PERMISSION_DENIED" in capsys.readouterr().out
    assert gcloud.calls()[-1][:2] == ["services", "enable"]


def test_without_gcloud_nothing_is_checked(
    tmp_path: Path, terraform: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    code, apply_vars = preflight(tmp_path)

    assert code == 0
    assert apply_vars == {}  # unknown: terraform.tfvars decides
    assert "gcloud not found" in capsys.readouterr().out
    assert [name for name, _ in logged_calls(terraform.bin_dir)] == ["terraform"]


def test_a_logged_out_gcloud_checks_nothing(
    tmp_path: Path, terraform: FakeCli, gcloud: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    gcloud.install()
    gcloud.answer_json("auth", "list", value=[])

    code, apply_vars = preflight(tmp_path)

    assert code == 0
    assert apply_vars == {}
    assert "not logged in" in capsys.readouterr().out
    assert [argv[:2] for argv in gcloud.calls()] == [["auth", "list"]]


def test_skip_preflight_runs_nothing(
    tmp_path: Path, terraform: FakeCli, gcloud: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    code, apply_vars = preflight(tmp_path, "--skip-preflight")

    assert code == 0
    assert apply_vars == {}
    assert logged_calls(gcloud.bin_dir) == []
    assert "skipped" in capsys.readouterr().out


def test_a_failing_terraform_console_stops_it(
    tmp_path: Path, terraform: FakeCli, gcloud: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    terraform.install()
    terraform.answer("console", stderr="Error: Invalid value for variable\n", code=1)

    code = main(["preflight", "--stack", "s", "--tfvars-out", str(tmp_path / "vars.json")])

    assert code == 1
    assert "Invalid value for variable" in capsys.readouterr().err
    assert gcloud.calls() == []


def test_unreadable_console_output_stops_it(
    tmp_path: Path, terraform: FakeCli, gcloud: FakeCli, capsys: pytest.CaptureFixture[str]
) -> None:
    terraform.install()
    terraform.answer("console", stdout="(sensitive value)\n")

    code = main(["preflight", "--stack", "s", "--tfvars-out", str(tmp_path / "vars.json")])

    assert code == 1
    assert "unexpected terraform console output" in capsys.readouterr().err
    assert gcloud.calls() == []
