"""terraform/aws for real, against a local moto: the machinery the test_terraform_aws*.py modules
and test_aws_deploy_twice.py share (their fixtures, one moto server and one stack copy for the
whole run, are in tests/integration/conftest.py).

Nothing here reaches the network. Terraform takes hashicorp/aws from the filesystem mirror named
in terraform/aws/terraformrc.hcl, and works in a temporary copy of the stack (with its committed
provider lock), so its data dir and state never land in the repository. The copy gets one extra
file, an override (moto_override.tf) that points the provider at the moto server: the stack
itself keeps no test-only variables, and the tests still apply exactly the stack's resources.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from devserver.processes import stop_group

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "terraform" / "aws"
# The committed provider lock (terraform init with the offline mirror wrote it).
LOCK_FILE = ".terraform.lock.hcl"
# The offline provider mirror: the Makefile selects it through TF_CLI_CONFIG_FILE.
CLI_CONFIG = Path(os.environ.get("TF_CLI_CONFIG_FILE") or STACK / "terraformrc.hcl")
PLUGIN_MIRROR = Path("/opt/tf-plugins/registry.terraform.io/hashicorp/aws")
MOTO_SERVER = Path(sys.executable).with_name("moto_server")
REGION = "us-east-1"
NAME = "gcl-test"
RECONCILE = f"{NAME}-reconcile"
# What the webhook and the reconcile function may do to the table, and nothing more.
CALL_TABLE_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:TransactWriteItems",
    "dynamodb:UpdateItem",
]
GREEN_API_TOKEN = "gat-test-token-fedcba9876543210"
ID_INSTANCE = 1101000001
ALERT_EMAIL = "oncall@example.com"
STARTUP_TIMEOUT = 60.0  # seconds for moto to start listening; generous for a loaded machine


OVERRIDE = """\
# Written by tests/support/aws_stack.py into a temporary copy of terraform/aws.
# Terraform merges this provider block into the stack's one: every service goes to moto.
provider "aws" {{
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {{
    cloudwatch     = "{url}"
    dynamodb       = "{url}"
    iam            = "{url}"
    lambda         = "{url}"
    logs           = "{url}"
    scheduler      = "{url}"
    secretsmanager = "{url}"
    sns            = "{url}"
    sqs            = "{url}"
    sts            = "{url}"
  }}
}}
"""


def terraform_binary() -> str:
    """The terraform binary; skip (fail under CI) when the machine lacks it or the mirror."""
    binary = shutil.which("terraform")
    missing = []
    if binary is None:
        missing.append("terraform on PATH")
    if not PLUGIN_MIRROR.is_dir():
        missing.append(f"the provider mirror {PLUGIN_MIRROR}")
    if not MOTO_SERVER.exists():
        missing.append(f"{MOTO_SERVER} (make install)")
    if missing:
        message = "needs " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    assert binary is not None
    return binary


def load_build_zip() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_zip", STACK / "build_zip.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def base_env() -> dict[str, str]:
    """This environment without AWS or Terraform settings of the person running the tests."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "TF_")) and key != "CHECKPOINT_DISABLE"
    }
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


@dataclass
class Stack:
    """A temporary copy of terraform/aws, initialised, with a moto server behind it."""

    binary: str  # the terraform executable
    workdir: Path
    env: dict[str, str]
    moto_url: str
    zip_path: Path

    def terraform(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *args, "-no-color"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
            )
        return result

    def write_vars(self, name: str, values: Mapping[str, Any]) -> str:
        path = self.workdir / name
        path.write_text(json.dumps(values, indent=2))
        return f"-var-file={path}"

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.terraform("output", "-json").stdout)
        return {key: entry["value"] for key, entry in raw.items()}

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.moto_url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


@contextmanager
def moto_server(log_dir: Path) -> Iterator[str]:
    """A moto server on a free loopback port, stopped (its whole process group) on exit."""
    terraform_binary()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = log_dir / "moto_server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=base_env(),
            start_new_session=True,  # its own process group, stopped as a whole below
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"moto_server exited {server.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not answer on {url}:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield url
    finally:
        stop_group(server, timeout=15)


def initialised_stack(moto_url: str, root: Path) -> Stack:
    """A copy of terraform/aws in `root`, pointed at moto, after `terraform init`."""
    terraform = terraform_binary()
    workdir = root / "stack"
    workdir.mkdir()
    # Only the .tf files and the provider lock: never a developer's terraform.tfvars, .terraform
    # or state.
    for source in [*sorted(STACK.glob("*.tf")), STACK / LOCK_FILE]:
        shutil.copy2(source, workdir / source.name)
    (workdir / "moto_override.tf").write_text(OVERRIDE.format(url=moto_url))

    zip_path = root / "lambda.zip"
    load_build_zip().build(zip_path, [REPO / "function"])

    env = base_env()
    env.update(
        TF_CLI_CONFIG_FILE=str(CLI_CONFIG),
        TF_DATA_DIR=str(root / "terraform-data"),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    result = Stack(terraform, workdir, env, moto_url, zip_path)
    init = result.terraform("init", "-input=false")
    assert "hashicorp/aws v5.100" in init.stdout, init.stdout
    return result


def base_vars(stack: Stack) -> dict[str, Any]:
    return {
        "region": REGION,
        "name": NAME,
        "package_zip": str(stack.zip_path),
        "green_api_token": GREEN_API_TOKEN,
        "green_api_id_instance": ID_INSTANCE,
        "record_retention_days": 30,
        "call_mode": "results",
        "call_labels": {"missed": "Missed WhatsApp call"},
        "memory_size": 512,
        "timeout": 20,
        "reserved_concurrent_executions": 3,
        "log_retention_days": 14,
        "secret_recovery_window_days": 0,  # deleted at once, so destroy leaves nothing behind
        "table_deletion_protection": False,  # on by default; off so that destroy can run
        "alert_email": ALERT_EMAIL,
        "log_chat_ids": "full",
    }


MANY_INSTANCES: dict[str, Any] = {
    "green_api_token": None,
    "green_api_id_instance": None,
    "green_api_instances": {
        "1101000001": {
            "apiUrl": "https://7105.api.greenapi.com",
            "apiTokenInstance": "shop-token-0123456789",
            "label": "Shop",
            "operatorChatId": "79000000001@c.us",
        },
        "1101000002": {
            "apiUrl": "https://api.green-api.com",
            "apiTokenInstance": "clinic-token-0123456789",
        },
    },
}


def plan_json(stack: Stack, *args: str) -> dict[str, Any]:
    plan_path = str(stack.workdir / "check.tfplan")
    stack.terraform("plan", "-input=false", *args, f"-out={plan_path}")
    plan: dict[str, Any] = json.loads(stack.terraform("show", "-json", plan_path).stdout)
    return plan


def planned_changes(stack: Stack, *args: str) -> dict[str, set[str]]:
    """Resource address -> the attributes a plan would change."""
    changes: dict[str, set[str]] = {}
    for change in plan_json(stack, *args)["resource_changes"]:
        before, after = change["change"]["before"] or {}, change["change"]["after"] or {}
        if change["change"]["actions"] != ["no-op"]:
            changes[change["address"]] = {
                key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
            }
    return changes


def role_statements(stack: Stack, role_arn: str) -> dict[str, Any]:
    """The statements of a role's one inline policy, by Sid."""
    iam = stack.client("iam")
    role_name = role_arn.rsplit("/", 1)[1]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    return {statement["Sid"]: statement for statement in document["Statement"]}


def function_config(stack: Stack) -> dict[str, Any]:
    config: dict[str, Any] = stack.client("lambda").get_function_configuration(FunctionName=NAME)
    return config


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
