"""The end of `make deploy`: wait until the instance is authorized again, backfill on the first
deploy only, and a backfill that fails is a WARNING naming the command to rerun, not a failed
deploy. A fake terraform and gcloud (canned answers), the fake GREEN-API over real HTTP: after
setSettings it answers `starting` for a while, as GREEN-API does while the instance restarts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from devserver.fake_green_api import FakeGreenApi
from tests.support.backends import AwsBackend
from tests.support.fake_cli import FakeCli
from tests.support.gcloud_answers import FACTS, PROJECT, answer_project, gcp_stack
from tests.support.lambda_settings import AWS_FACTS, aws_env, lambda_settings

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_URL = f"https://europe-west1-{PROJECT}.cloudfunctions.net/green-call-logger"
RECONCILE = "green-call-logger-reconcile"
# Fast polls for the test; the bound stays far above what the fake needs.
WAIT_READY_ARGS = "WAIT_READY_ARGS=--interval 0.05 --timeout 30s"


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    return gcp_stack(tmp_path)


@pytest.fixture
def bin_dir(tmp_path: Path, fake_green_api: FakeGreenApi) -> Path:
    """A fake terraform with the stack's outputs, and a logged-in fake gcloud."""
    bin_dir = tmp_path / "bin"
    fake_terraform(
        bin_dir,
        FACTS,
        fake_green_api,
        webhook_url=WEBHOOK_URL,
        reconcile_function_name=RECONCILE,
        project_id=PROJECT,
        region="europe-west1",
    )
    answer_project(FakeCli("gcloud", bin_dir))
    return bin_dir


def fake_terraform(
    bin_dir: Path, facts: Mapping[str, Any], green_api: FakeGreenApi, **outputs: str
) -> FakeCli:
    """A fake terraform whose stack deploys `facts` and outputs the instance of `green_api`
    and `outputs`."""
    terraform = FakeCli("terraform", bin_dir).install()
    terraform.answer("init")
    terraform.answer("console", stdout=json.dumps(json.dumps(facts)) + "\n")
    terraform.answer("apply")
    instance = {
        "webhook_token": "whk-deploy-0123456789abcdef",
        "green_api_token": green_api.token,
        "green_api_id_instance": str(green_api.instance_id),
        "green_api_url": green_api.url,
        "green_api_instances": "",
        # What configure-instance is told to switch (terraform/shared/settings.tf's defaults).
        "keep_incoming_webhook": "false",
        "callback_by_message": "true",
    }
    for name, value in {**instance, **outputs}.items():
        terraform.answer("output", name, stdout=value)
    return terraform


def backfill_answers(bin_dir: Path, *, code: int) -> FakeCli:
    gcloud = FakeCli("gcloud", bin_dir)
    # Put first: the first matching answer wins, and answer_project wrote the others.
    answers = json.loads((bin_dir / ".gcloud-answers.json").read_text())
    stderr = "" if code == 0 else "ERROR: (gcloud.functions.call) ResponseError: status=[500]\n"
    backfill = {"words": ["functions", "call"], "stdout": "{}", "stderr": stderr, "code": code}
    answers.insert(0, backfill)
    (bin_dir / ".gcloud-answers.json").write_text(json.dumps(answers))
    return gcloud


def deploy(stack: Path, bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    assert make is not None
    return subprocess.run(
        # -o: never rebuild .venv here; `make test` has built it.
        [
            make,
            "-s",
            "-o",
            ".venv/.installed",
            "deploy-gcp",
            f"GCP_DIR={stack}",
            WAIT_READY_ARGS,
            *args,
        ],
        cwd=ROOT,
        # The fakes first, the system's tools after them (a real gcloud is shadowed by the fake).
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(stack)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def backfills(gcloud: FakeCli) -> list[list[str]]:
    return [argv for argv in gcloud.calls() if argv[:2] == ["functions", "call"]]


def test_the_first_deploy_waits_for_the_restarted_instance_then_backfills_once(
    stack: Path, bin_dir: Path, fake_green_api: FakeGreenApi
) -> None:
    gcloud = backfill_answers(bin_dir, code=0)
    fake_green_api.answer_states("starting", "starting")

    first = deploy(stack, bin_dir)

    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert out.count("wait-ready: instance 1101000001 is starting; waiting") == 2
    assert "wait-ready: instance 1101000001 is authorized" in out
    assert out.index("is authorized") < out.index("Backfill: reconcile over the last 7d")
    [call] = backfills(gcloud)
    assert call[2] == RECONCILE
    assert json.loads(call[call.index("--data") + 1]) == {"action": "reconcile", "since": "7d"}
    assert len(fake_green_api.requests_for("getStateInstance")) == 3

    second = deploy(stack, bin_dir)

    assert second.returncode == 0, second.stderr
    assert "Backfill: done by an earlier deploy of this stack" in second.stdout
    assert len(backfills(gcloud)) == 1  # not again
    assert len(fake_green_api.requests_for("getStateInstance")) == 3


def test_asking_for_a_backfill_runs_it_again(stack: Path, bin_dir: Path) -> None:
    gcloud = backfill_answers(bin_dir, code=0)
    assert deploy(stack, bin_dir).returncode == 0

    again = deploy(stack, bin_dir, "BACKFILL=3d")

    assert again.returncode == 0, again.stderr
    assert [json.loads(c[c.index("--data") + 1])["since"] for c in backfills(gcloud)] == [
        "7d",
        "3d",
    ]


def test_a_failed_backfill_is_a_warning_naming_the_rerun_and_is_tried_again_next_time(
    stack: Path, bin_dir: Path
) -> None:
    gcloud = backfill_answers(bin_dir, code=1)

    first = deploy(stack, bin_dir)

    assert first.returncode == 0, first.stderr
    assert "WARNING: the backfill did not complete" in first.stdout
    assert "make backfill CLOUD=gcp BACKFILL=7d" in first.stdout
    second = deploy(stack, bin_dir)
    assert len(backfills(gcloud)) == 2  # no stamp after a failure: the next deploy tries again
    assert "WARNING" in second.stdout


def test_an_instance_that_needs_a_person_is_a_warning_without_a_backfill(
    stack: Path, bin_dir: Path, fake_green_api: FakeGreenApi
) -> None:
    gcloud = backfill_answers(bin_dir, code=0)
    fake_green_api.state = "notAuthorized"

    done = deploy(stack, bin_dir)

    assert done.returncode == 0, done.stderr
    assert "notAuthorized: scan the QR code" in done.stdout
    assert "WARNING: the backfill did not complete" in done.stdout
    assert backfills(gcloud) == []


def test_backfill_empty_skips_it_and_leaves_the_first_backfill_to_come(
    stack: Path, bin_dir: Path
) -> None:
    gcloud = backfill_answers(bin_dir, code=0)

    skipped = deploy(stack, bin_dir, "BACKFILL=")
    assert "Backfill skipped" in skipped.stdout
    assert deploy(stack, bin_dir).returncode == 0

    assert len(backfills(gcloud)) == 1


# --- AWS: the same end, after its own preflight -----------------------------------------------


def test_on_aws_the_preflight_decides_the_reservation_and_a_failed_backfill_warns(
    tmp_path: Path, fake_green_api: FakeGreenApi, aws_backend: AwsBackend
) -> None:
    stack = tmp_path / "aws"
    stack.mkdir()
    (stack / "terraform.tfvars").write_text('region = "us-east-1"\n')
    # The real script, which finds no such function in this account.
    shutil.copy(ROOT / "terraform" / "aws" / "invoke_reconcile.py", stack)
    bin_dir = tmp_path / "bin"
    terraform = fake_terraform(
        bin_dir,
        AWS_FACTS,
        fake_green_api,
        webhook_url="https://abc123.lambda-url.us-east-1.on.aws/",
        reconcile_function_name=f"{AWS_FACTS['name']}-reconcile",
        region="us-east-1",
    )
    fake_green_api.answer_states("starting")
    make = shutil.which("make")
    assert make is not None

    # -o lambda-zip: the fake apply needs no zip (building one downloads wheels).
    command = [make, "-s", "-o", ".venv/.installed", "-o", "lambda-zip", "deploy-aws"]
    with lambda_settings(limit=10) as account:
        done = subprocess.run(
            [*command, f"TF_AWS={stack}", WAIT_READY_ARGS],
            cwd=ROOT,
            env={
                "PATH": f"{bin_dir}:/usr/bin:/bin",
                "HOME": str(stack),
                **aws_env(aws_backend, account),
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert done.returncode == 0, done.stderr
    assert "preflight: note: the account's Lambda concurrency in us-east-1 is 10" in done.stdout
    [apply] = [argv for argv in terraform.calls() if "apply" in argv]
    assert "-var-file=build/preflight.tfvars.json" in apply
    decided = json.loads((stack / "build" / "preflight.tfvars.json").read_text())
    assert decided == {"reserved_concurrent_executions": -1}
    assert "wait-ready: instance 1101000001 is authorized" in done.stdout
    assert "ResourceNotFoundException" in done.stderr  # the invoke reached Lambda and failed
    assert "WARNING: the backfill did not complete" in done.stdout
    assert "make backfill CLOUD=aws BACKFILL=7d" in done.stdout
    assert not (stack / "build" / "backfilled").exists()
