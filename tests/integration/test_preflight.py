"""`python -m call_logger preflight`, the command: with a fake gcloud and a fake terraform on PATH
(tests/support/fake_cli.py). Its decisions alone are in tests/unit/test_preflight_decisions.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from call_logger.cli import main
from call_logger.core import preflight as decide
from call_logger.core.preflight import DeployFacts

from tests.support.fake_cli import FakeCli, logged_calls
from tests.support.gcloud_answers import (
    APIS,
    BILLING_OFF,
    DATABASE,
    FACTS,
    POLICY_RESTRICTED,
    PROJECT,
    answer_project,
)


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


# --- The command ----------------------------------------------------------------------------


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds only the fakes: a real gcloud on the machine is never reached."""
    path = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(path))
    return path


@pytest.fixture
def terraform(bin_dir: Path) -> FakeCli:
    fake = FakeCli("terraform", bin_dir).install()
    fake.answer("console", stdout=json.dumps(json.dumps(FACTS)) + "\n")
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
        ["org-policies", "describe"],
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


@pytest.mark.parametrize(
    ("answers", "problem", "last_step"),
    [
        (
            {"billing": BILLING_OFF},
            "problem: billing is not enabled on project demo-project",
            ["billing", "projects"],
        ),
        (
            {"enable_error": "ERROR: PERMISSION_DENIED: denied\n"},
            "problem: could not enable the APIs on demo-project (ERROR: PERMISSION_DENIED",
            ["services", "enable"],
        ),
    ],
)
def test_a_blocking_step_stops_it_there(
    tmp_path: Path,
    terraform: FakeCli,
    gcloud: FakeCli,
    capsys: pytest.CaptureFixture[str],
    answers: dict[str, Any],
    problem: str,
    last_step: list[str],
) -> None:
    answer_project(gcloud, **answers)

    code, _ = preflight(tmp_path)

    assert code == 1
    assert gcloud.calls()[-1][:2] == last_step
    captured = capsys.readouterr()
    assert problem in captured.out
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
