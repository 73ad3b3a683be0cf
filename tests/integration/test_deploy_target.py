"""`make deploy-gcp` with a fake terraform, with and without a fake gcloud, against the fake
GREEN-API: the order of its steps and what reaches the apply.

PATH holds only the fakes, so "gcloud absent" holds even on a machine that has gcloud.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from devserver.fake_green_api import FakeGreenApi
from tests.support.fake_cli import FakeCli, logged_calls
from tests.support.gcloud_answers import (
    BILLING_OFF,
    DATABASE,
    FACTS,
    PROJECT,
    answer_project,
    gcp_stack,
)

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_URL = f"https://europe-west1-{PROJECT}.cloudfunctions.net/green-call-logger"
WEBHOOK_TOKEN = "whk-deploy-0123456789abcdef"


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    return gcp_stack(tmp_path)


@pytest.fixture
def terraform(tmp_path: Path, fake_green_api: FakeGreenApi) -> FakeCli:
    fake = FakeCli("terraform", tmp_path / "bin").install()
    fake.answer("init")
    fake.answer("console", stdout=json.dumps(json.dumps(FACTS)) + "\n")
    fake.answer("apply")
    outputs = {
        "webhook_url": WEBHOOK_URL,
        "webhook_token": WEBHOOK_TOKEN,
        "green_api_token": fake_green_api.token,
        "green_api_id_instance": str(fake_green_api.instance_id),
        "green_api_url": fake_green_api.url,
        "green_api_instances": "",  # one instance: the stack's output is empty
    }
    for name, value in outputs.items():
        fake.answer("output", name, stdout=value)
    return fake


def deploy(stack: Path, terraform: FakeCli, *args: str) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    assert make is not None
    return subprocess.run(
        # -o: never rebuild .venv here; `make test` has built it.
        [make, "-s", "-o", ".venv/.installed", "deploy-gcp", f"GCP_DIR={stack}", *args],
        cwd=ROOT,
        env={"PATH": str(terraform.bin_dir), "HOME": str(stack)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def steps(bin_dir: Path) -> list[str]:
    """Each call as 'tool word word', flags left out."""
    return [
        " ".join([name, *(a for a in argv[:3] if not a.startswith("-"))][:3])
        for name, argv in logged_calls(bin_dir)
    ]


def apply_vars(stack: Path, terraform: FakeCli) -> dict[str, bool]:
    [apply] = [argv for argv in terraform.calls() if "apply" in argv]
    assert "-var-file=build/preflight.tfvars.json" in apply
    loaded: dict[str, bool] = json.loads((stack / "build" / "preflight.tfvars.json").read_text())
    return loaded


def test_without_gcloud_it_applies_and_configures_the_instance(
    stack: Path, terraform: FakeCli, fake_green_api: FakeGreenApi
) -> None:
    done = deploy(stack, terraform)

    assert done.returncode == 0, done.stderr
    assert "gcloud not found" in done.stdout
    assert steps(terraform.bin_dir)[:3] == [
        "terraform init",
        "terraform console",
        "terraform apply",
    ]
    assert apply_vars(stack, terraform) == {}
    [settings] = fake_green_api.requests_for("setSettings")
    assert settings.json["webhookUrl"] == WEBHOOK_URL


def test_with_gcloud_it_enables_the_apis_before_the_apply_and_adopts_the_database(
    stack: Path, terraform: FakeCli, fake_green_api: FakeGreenApi
) -> None:
    gcloud = answer_project(FakeCli("gcloud", terraform.bin_dir), database=DATABASE)

    done = deploy(stack, terraform)

    assert done.returncode == 0, done.stderr
    order = steps(terraform.bin_dir)
    assert order.index("gcloud services enable") < order.index("terraform apply")
    [enable] = [argv for argv in gcloud.calls() if argv[:2] == ["services", "enable"]]
    assert set(FACTS["apis"]) <= set(enable)
    assert f"--project={PROJECT}" in enable
    assert apply_vars(stack, terraform) == {"firestore_database_exists": True}
    assert fake_green_api.requests_for("setSettings")


def test_a_preflight_problem_stops_it_before_the_apply(
    stack: Path, terraform: FakeCli, fake_green_api: FakeGreenApi
) -> None:
    answer_project(FakeCli("gcloud", terraform.bin_dir), billing=BILLING_OFF)

    done = deploy(stack, terraform)

    assert done.returncode != 0
    assert "problem: billing is not enabled" in done.stdout
    assert "terraform apply" not in steps(terraform.bin_dir)
    assert fake_green_api.requests_for("setSettings") == []


def test_skip_preflight_leaves_gcloud_alone(
    stack: Path, terraform: FakeCli, fake_green_api: FakeGreenApi
) -> None:
    answer_project(FakeCli("gcloud", terraform.bin_dir), billing=BILLING_OFF)

    done = deploy(stack, terraform, "PREFLIGHT_ARGS=--skip-preflight")

    assert done.returncode == 0, done.stderr
    assert not [step for step in steps(terraform.bin_dir) if step.startswith("gcloud")]
    assert apply_vars(stack, terraform) == {}


def test_with_an_instance_map_it_configures_every_instance(
    stack: Path, tmp_path: Path, fake_green_api: FakeGreenApi
) -> None:
    with FakeGreenApi(instance_id=1101000002, token="second-token-0123456789") as second:
        instances = {
            str(fake.instance_id): {"apiUrl": fake.url, "apiTokenInstance": fake.token}
            for fake in (fake_green_api, second)
        }
        terraform = FakeCli("terraform", tmp_path / "bin").install()
        terraform.answer("init")
        terraform.answer("console", stdout=json.dumps(json.dumps(FACTS)) + "\n")
        terraform.answer("apply")
        outputs = {
            "webhook_url": WEBHOOK_URL,
            "webhook_token": WEBHOOK_TOKEN,
            "green_api_instances": json.dumps(instances),
        }
        for name, value in outputs.items():
            terraform.answer("output", name, stdout=value)

        done = deploy(stack, terraform)

        assert done.returncode == 0, done.stderr
        for fake in (fake_green_api, second):
            [settings] = fake.requests_for("setSettings")
            assert settings.json["webhookUrl"] == WEBHOOK_URL
            assert fake.token not in done.stdout + done.stderr
