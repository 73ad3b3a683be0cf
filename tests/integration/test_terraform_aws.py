"""terraform/aws for real: fmt, init, validate, plan, apply and destroy against a local moto.

Nothing here reaches the network. Terraform takes hashicorp/aws from the filesystem mirror named
in terraform/aws/terraformrc.hcl, and works in a temporary copy of the stack (with its committed
provider lock), so its data dir and state never land in the repository. The copy gets one extra
file, an override
(moto_override.tf) that points the provider at a moto server started by this module on a free
loopback port: the stack itself keeps no test-only variables, and the test still applies
exactly the stack's resources.
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
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

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
WEBHOOK_TOKEN = "whk-test-token-0123456789abcdef"
GREEN_API_TOKEN = "gat-test-token-fedcba9876543210"
ID_INSTANCE = 1101000001
ALERT_EMAIL = "oncall@example.com"
STARTUP_TIMEOUT = 60.0  # seconds for moto to start listening; generous for a loaded machine

OVERRIDE = """\
# Written by tests/integration/test_terraform_aws.py into a temporary copy of terraform/aws.
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


def _terraform() -> str:
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


def _load_build_zip() -> ModuleType:
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


def _base_env() -> dict[str, str]:
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

    terraform: str
    workdir: Path
    env: dict[str, str]
    moto_url: str
    zip_path: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.terraform, *args, "-no-color"],
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
        raw = json.loads(self.run("output", "-json").stdout)
        return {key: entry["value"] for key, entry in raw.items()}

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.moto_url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _terraform()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_base_env(),
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


@pytest.fixture(scope="module")
def stack(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    terraform = _terraform()
    root = tmp_path_factory.mktemp("tf-aws")
    workdir = root / "stack"
    workdir.mkdir()
    # Only the .tf files and the provider lock: never a developer's terraform.tfvars, .terraform
    # or state.
    for source in [*sorted(STACK.glob("*.tf")), STACK / LOCK_FILE]:
        shutil.copy2(source, workdir / source.name)
    (workdir / "moto_override.tf").write_text(OVERRIDE.format(url=moto_url))

    zip_path = root / "lambda.zip"
    _load_build_zip().build(zip_path, [REPO / "function"])

    env = _base_env()
    env.update(
        TF_CLI_CONFIG_FILE=str(CLI_CONFIG),
        TF_DATA_DIR=str(root / "terraform-data"),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    result = Stack(terraform, workdir, env, moto_url, zip_path)
    init = result.run("init", "-input=false")
    assert "hashicorp/aws v5.100" in init.stdout, init.stdout
    return result


def _base_vars(stack: Stack) -> dict[str, Any]:
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


# --- fast checks ------------------------------------------------------------------------------


def test_init_keeps_the_committed_provider_lock(stack: Stack) -> None:
    # Init started from the committed lock and found nothing to add: it pins the provider the
    # stack requires, with the hash of the package the mirror holds.
    assert (stack.workdir / LOCK_FILE).read_text() == (STACK / LOCK_FILE).read_text()


def test_stack_is_formatted() -> None:
    terraform = _terraform()
    env = _base_env() | {"TF_CLI_CONFIG_FILE": str(CLI_CONFIG), "CHECKPOINT_DISABLE": "1"}
    result = subprocess.run(
        [terraform, "fmt", "-check", "-diff", "-recursive", "-no-color", str(STACK)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run terraform fmt {STACK}:\n{result.stdout}{result.stderr}"


def test_zip_is_reproducible_and_skips_caches(tmp_path: Path) -> None:
    build_zip = _load_build_zip()
    source = tmp_path / "src"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (source / "pkg" / "__pycache__" / "__init__.cpython-312.pyc").write_bytes(b"\0")
    (source / "pkg.egg-info").mkdir()
    (source / "pkg.egg-info" / "PKG-INFO").write_text("Name: pkg\n")
    (source / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    deps = tmp_path / "deps"
    (deps / "bin").mkdir(parents=True)
    (deps / "bin" / "normalizer").write_text("#!/usr/bin/python\n")
    (deps / "requests").mkdir()
    (deps / "requests" / "__init__.py").write_text("")

    first, second = tmp_path / "a" / "one.zip", tmp_path / "b" / "two.zip"
    build_zip.build(first, [source, deps])
    os.utime(source / "handler.py", (1_000_000_000, 1_000_000_000))  # only the mtime changes
    build_zip.build(second, [source, deps])

    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["handler.py", "pkg/__init__.py", "requests/__init__.py"]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}

    (source / "handler.py").write_text("def handler(event, context):\n    return 2\n")
    build_zip.build(second, [source, deps])
    assert first.read_bytes() != second.read_bytes()

    (deps / "handler.py").write_text("")
    with pytest.raises(SystemExit, match=r"handler\.py"):
        build_zip.build(second, [source, deps])


BAD_VALUES = {
    "memory_size": ("64", "from 128 to 10240"),
    "timeout": ("901", "from 1 to 900"),
    "reserved_concurrent_executions": ("0", "-1 (unreserved)"),
    "call_mode": ("sometimes", "all, results, offer, ignore"),
    "runtime": ("python3.11", "python3.12 or python3.13"),
    "record_retention_days": ("0", "null or a whole number of days from 1 to 36500"),
    "log_retention_days": ("10", "CloudWatch Logs retention value"),
    "call_labels": ('{"busy" = "Busy"}', "keys must be among incoming"),
    "operator_chat_id": ("120363000000000000@g.us", "never sent to a group"),
    "operator_notify_on": ('["rang"]', "operator_notify_on must list statuses"),
    "missed_call_reply": ("Hi {first_name}", "may use only {name}, {phone}"),
    "missed_call_reply_on": ("[]", "missed_call_reply_on must list statuses"),
    "missed_call_reply_cooldown": ("soon", "such as 90s, 15m, 12h or 7d"),
    "missed_call_reply_max_age": ("0", "a duration above zero"),
    "business_hours": ("9-18", "mon-fri 09:00-18:00, sat 10:00-14:00"),
    "timezone": ("Berlin", "an IANA time zone name"),
    "callback_target": ("soon", "callback_target must be a duration above zero"),
    # Both the shape (a key that is no idInstance) and the mix with green_api_token are refused.
    "green_api_instances": (
        '{"shop" = {apiUrl = "https://api.green-api.com", apiTokenInstance = "0123456789"}}',
        "keyed by idInstance",
    ),
    "green_api_url": ("http://api.green-api.com", "must be an https:// URL"),
    "webhook_token": ("short-token-0123456789", "at least 24 characters"),
    "environment_variables": ('{STORE = "firestore"}', "must not set a setting the stack manages"),
    "log_level": ("LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    "alert_email": ("nobody", "null or an email address"),
}


def test_bad_values_are_refused(stack: Stack) -> None:
    # One plan for all of them (each plan loads the provider's large schema): Terraform checks
    # every variable and reports each failed validation before it calls any API.
    plan = stack.run(
        "plan",
        "-input=false",
        stack.write_vars("base.tfvars.json", _base_vars(stack)),
        *(f"-var={name}={value}" for name, (value, _) in BAD_VALUES.items()),
        check=False,
    )
    assert plan.returncode != 0
    # Terraform wraps long messages; compare with the line breaks folded.
    errors = " ".join(plan.stderr.split())
    for name, (_, message) in BAD_VALUES.items():
        assert f"var.{name}" in errors, name
        assert message in errors, (name, plan.stderr)
    assert "not both" in errors


# --- the whole life of the stack against moto ---------------------------------------------------


REPLY_VARS = {
    "missed_call_reply": "Sorry we missed your call, {name}.",
    "missed_call_reply_after_hours": "We open at 9.",
    "missed_call_reply_on": ["missed", "declined"],
    "business_hours": "mon-fri 09:00-18:00",
    "timezone": "Europe/Berlin",
    "operator_chat_id": "79001234567@c.us",
    "operator_notify_on": ["offer", "missed"],
    "digest_time": "09:00",
}
REPLY_ENV = {
    "MISSED_CALL_REPLY": "Sorry we missed your call, {name}.",
    "MISSED_CALL_REPLY_AFTER_HOURS": "We open at 9.",
    "MISSED_CALL_REPLY_ON": "missed,declined",
    "MISSED_CALL_REPLY_COOLDOWN": "12h",
    "MISSED_CALL_REPLY_MAX_AGE": "15m",
    "BUSINESS_HOURS": "mon-fri 09:00-18:00",
    "TIMEZONE": "Europe/Berlin",
    "OPERATOR_CHAT_ID": "79001234567@c.us",
    "OPERATOR_NOTIFY_ON": "offer,missed",
    "DIGEST_TIME": "09:00",
}


def test_stack_lifecycle_against_moto(stack: Stack) -> None:
    stack.run("validate")
    base = stack.write_vars("base.tfvars.json", _base_vars(stack))
    plan_path = str(stack.workdir / "tfplan")
    stack.run("plan", "-input=false", base, f"-out={plan_path}")
    stack.run("apply", "-input=false", "-auto-approve", plan_path)
    outputs = stack.outputs()

    _check_table(stack, outputs, ttl_enabled=True)
    _check_role(stack, outputs)
    _check_function(stack, outputs)
    _check_secrets_and_logs(stack, outputs)
    _check_reconcile(stack, outputs)
    _check_alerts(stack, outputs)

    # A second plan finds nothing to do: no attribute the provider reads back differs, except
    # the Lambda's logging_config, which moto does not keep (it is checked in the plan instead).
    assert _planned_changes(stack, base) == {"aws_lambda_function.webhook": {"logging_config"}}

    # Turning retention off turns TTL off (and drops RECORD_RETENTION_DAYS) in place, keeping
    # the generated webhook token; turning the missed-call reply and the digest on sets their
    # settings.
    no_retention = stack.write_vars(
        "no-retention.tfvars.json", {"record_retention_days": None} | REPLY_VARS
    )
    stack.run("apply", "-input=false", "-auto-approve", base, no_retention)
    later = stack.outputs()
    assert later["webhook_token"] == outputs["webhook_token"]
    _check_table(stack, later, ttl_enabled=False)
    variables = _function_config(stack)["Environment"]["Variables"]
    assert "RECORD_RETENTION_DAYS" not in variables
    assert {name: variables.get(name) for name in REPLY_ENV} == REPLY_ENV

    # Several instances: one secret holds the whole map, and the function reads it. Turning
    # reconcile off (and with it the digest, which rides on its runs) removes its function and
    # schedule.
    many = stack.write_vars(
        "many.tfvars.json", MANY_INSTANCES | {"reconcile_enabled": False, "digest_time": ""}
    )
    stack.run("apply", "-input=false", "-auto-approve", base, no_retention, many)
    _check_instance_map(stack, stack.outputs())
    assert {"reconcile_function_name", "reconcile_schedule_name"}.isdisjoint(stack.outputs())
    _check_reconcile_gone(stack)

    stack.run("destroy", "-input=false", "-auto-approve", base, no_retention, many)
    _check_gone(stack, outputs)
    assert stack.outputs() == {}


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


def _check_instance_map(stack: Stack, outputs: Mapping[str, Any]) -> None:
    arn = outputs["green_api_token_secret_arn"]
    assert outputs["green_api_token_secret_name"].startswith(f"{NAME}/green-api-instances-")
    variables = _function_config(stack)["Environment"]["Variables"]
    assert variables["GREEN_API_INSTANCES_SECRET_ARN"] == arn
    for single in ("GREEN_API_TOKEN_SECRET_ARN", "GREEN_API_URL", "GREEN_API_ID_INSTANCE"):
        assert single not in variables
    assert "shop-token" not in json.dumps(_function_config(stack))
    assert outputs["green_api_token"] == ""

    # What the function does at cold start, with the Lambda's own environment.
    from call_logger.entrypoints.aws_lambda import environ_with_secrets
    from call_logger.settings.config import Config

    with pytest.MonkeyPatch.context() as environ:
        # boto3 finds the region, credentials and endpoint in the process environment.
        for key, value in {
            **_base_env(),
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": stack.moto_url,
        }.items():
            environ.setenv(key, value)
        config = Config.from_env(environ_with_secrets(variables))
    assert [(i.id, i.label, i.token) for i in config.instances] == [
        (1101000001, "Shop", "shop-token-0123456789"),
        (1101000002, "", "clinic-token-0123456789"),
    ]
    assert config.settings_for(1101000001).operator_chat_id == "79000000001@c.us"
    assert json.loads(outputs["green_api_instances"]) == json.loads(
        stack.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    )

    assert arn in _as_list(_role_statements(stack, outputs["role_arn"])["OwnSecrets"]["Resource"])


def _plan_json(stack: Stack, *args: str) -> dict[str, Any]:
    plan_path = str(stack.workdir / "check.tfplan")
    stack.run("plan", "-input=false", *args, f"-out={plan_path}")
    plan: dict[str, Any] = json.loads(stack.run("show", "-json", plan_path).stdout)
    return plan


def _planned_changes(stack: Stack, *args: str) -> dict[str, set[str]]:
    """Resource address -> the attributes a plan would change."""
    changes: dict[str, set[str]] = {}
    for change in _plan_json(stack, *args)["resource_changes"]:
        before, after = change["change"]["before"] or {}, change["change"]["after"] or {}
        if change["change"]["actions"] != ["no-op"]:
            changes[change["address"]] = {
                key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
            }
    return changes


def test_a_digest_needs_a_chat_to_send_it_to(stack: Stack) -> None:
    # Its own plan: Terraform skips a validation that refers to another variable (here
    # operator_chat_id) when that one is refused too, as in test_bad_values_are_refused.
    plan = stack.run(
        "plan",
        "-input=false",
        stack.write_vars("base.tfvars.json", _base_vars(stack)),
        "-var=digest_time=09:00",
        check=False,
    )
    assert plan.returncode != 0
    errors = " ".join(plan.stderr.split())
    assert "var.digest_time" in errors
    assert "digest_time needs reconcile_enabled" in errors


def test_one_instance_needs_its_id(stack: Stack) -> None:
    # Without it the function would accept any instance's notifications and look up no names.
    without_id = {k: v for k, v in _base_vars(stack).items() if k != "green_api_id_instance"}
    plan = stack.run(
        "plan", "-input=false", stack.write_vars("no-id.tfvars.json", without_id), check=False
    )
    assert plan.returncode != 0
    errors = " ".join(plan.stderr.split())
    assert "var.green_api_instances" in errors
    assert "with green_api_id_instance and green_api_token" in errors


def test_safe_defaults(stack: Stack) -> None:
    """Without the optional variables: retention 365 days, deletion protection, point-in-time
    recovery, a concurrency cap, JSON logs, and no alerting resources."""
    required = {
        key: _base_vars(stack)[key]
        for key in ("region", "package_zip", "green_api_id_instance", "green_api_token")
    }
    plan = _plan_json(stack, stack.write_vars("required.tfvars.json", required))
    # A resource whose every value is known only after apply (the redrive policy) has none.
    resources = {
        resource["address"]: resource.get("values", {})
        for resource in plan["planned_values"]["root_module"]["resources"]
    }
    table = resources["aws_dynamodb_table.calls"]
    assert table["deletion_protection_enabled"] is True
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["ttl"][0]["enabled"] is True
    assert table["ttl"][0]["attribute_name"] == "expireAt"
    function = resources["aws_lambda_function.webhook"]
    assert function["reserved_concurrent_executions"] == 10
    assert function["logging_config"][0]["log_format"] == "JSON"
    # The environment holds ARNs known only after apply; the defaults behind it:
    defaults = {
        name: variable.get("default")
        for name, variable in plan["configuration"]["root_module"]["variables"].items()
    }
    assert defaults["record_retention_days"] == 365
    assert (defaults["log_level"], defaults["log_chat_ids"]) == ("INFO", "masked")
    assert defaults["alert_email"] is None
    assert not [address for address in resources if "alarm" in address or "sns" in address]


def _check_table(stack: Stack, outputs: Mapping[str, Any], *, ttl_enabled: bool) -> None:
    dynamodb = stack.client("dynamodb")
    name = outputs["table_name"]
    assert name == NAME
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["TableArn"] == outputs["table_arn"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {
        ("pk", "HASH"),
        ("sk", "RANGE"),
    }
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
        ("pk", "S"),
        ("sk", "S"),
        ("gsi1pk", "S"),
        ("gsi2pk", "S"),
        ("eventAt", "N"),
    }
    # byInstance, one instance's records by time: test_terraform_aws_integrators.py.
    (index,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] != "byInstance"]
    assert index["IndexName"] == "byTime"
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == [
        ("gsi1pk", "HASH"),
        ("eventAt", "RANGE"),
    ]
    assert index["Projection"]["ProjectionType"] == "ALL"
    assert table["SSEDescription"]["Status"] == "ENABLED"

    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    recovery = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
    assert recovery == "ENABLED"

    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl_enabled:
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expireAt"}
    else:
        assert ttl["TimeToLiveStatus"] == "DISABLED"


def _check_role(stack: Stack, outputs: Mapping[str, Any]) -> None:
    iam = stack.client("iam")
    role_name = outputs["role_arn"].rsplit("/", 1)[1]
    role = iam.get_role(RoleName=role_name)["Role"]
    assume = role["AssumeRolePolicyDocument"]
    if isinstance(assume, str):
        assume = json.loads(urllib.parse.unquote(assume))
    (trust,) = assume["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"

    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    statements = _role_statements(stack, outputs["role_arn"])
    assert set(statements) == {"CallTable", "OwnSecrets", "OwnLogs"}
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert "*" not in _as_list(statement["Resource"])

    assert sorted(_as_list(statements["CallTable"]["Action"])) == CALL_TABLE_ACTIONS
    # The table alone: only reconcile reads the byTime index.
    assert _as_list(statements["CallTable"]["Resource"]) == [outputs["table_arn"]]
    assert _as_list(statements["OwnSecrets"]["Action"]) == ["secretsmanager:GetSecretValue"]
    assert sorted(_as_list(statements["OwnSecrets"]["Resource"])) == sorted(
        [outputs["webhook_token_secret_arn"], outputs["green_api_token_secret_arn"]]
    )
    assert sorted(_as_list(statements["OwnLogs"]["Action"])) == [
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    ]
    (log_resource,) = _as_list(statements["OwnLogs"]["Resource"])
    assert log_resource.endswith(f":log-group:/aws/lambda/{NAME}:*")


def _function_config(stack: Stack) -> dict[str, Any]:
    config: dict[str, Any] = stack.client("lambda").get_function_configuration(FunctionName=NAME)
    return config


def _check_function(stack: Stack, outputs: Mapping[str, Any]) -> None:
    lambda_ = stack.client("lambda")
    config = _function_config(stack)
    assert outputs["function_name"] == NAME
    assert config["FunctionArn"] == outputs["function_arn"]
    assert config["Runtime"] == "python3.12"
    assert config["Handler"] == "lambda_function.lambda_handler"
    assert config["MemorySize"] == 512
    assert config["Timeout"] == 20
    assert config["Role"] == outputs["role_arn"]
    assert lambda_.get_function_concurrency(FunctionName=NAME)["ReservedConcurrentExecutions"] == 3

    variables = config["Environment"]["Variables"]
    assert variables == {
        "STORE": "dynamodb",
        "DYNAMODB_TABLE": outputs["table_name"],
        "CALL_MODE": "results",
        "GREEN_API_ID_INSTANCE": str(ID_INSTANCE),
        "GREEN_API_URL": "https://api.green-api.com",
        "CALL_LABELS": json.dumps({"missed": "Missed WhatsApp call"}, separators=(",", ":")),
        "RECORD_RETENTION_DAYS": "30",
        "CONTACT_CACHE_TTL": "24h",
        "LOG_LEVEL": "INFO",
        "LOG_CHAT_IDS": "full",
        "TIMEZONE": "UTC",
        "WEBHOOK_TOKEN_SECRET_ARN": outputs["webhook_token_secret_arn"],
        "GREEN_API_TOKEN_SECRET_ARN": outputs["green_api_token_secret_arn"],
    }
    # The tokens themselves appear nowhere in the function's configuration.
    everything = json.dumps(config)
    assert outputs["webhook_token"] not in everything
    assert GREEN_API_TOKEN not in everything

    url = lambda_.get_function_url_config(FunctionName=NAME)
    assert url["AuthType"] == "NONE"
    assert url["FunctionUrl"] == outputs["webhook_url"]
    assert outputs["webhook_url"].startswith("https://")

    policy = json.loads(lambda_.get_policy(FunctionName=NAME)["Policy"])
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    public_url = statements["AllowPublicFunctionUrl"]
    assert public_url["Action"] == "lambda:InvokeFunctionUrl"
    assert public_url["Principal"] == "*"
    assert "NONE" in json.dumps(public_url)  # moto keeps FunctionUrlAuthType outside Condition
    invoke = statements["AllowInvokeForFunctionUrl"]
    assert invoke["Action"] == "lambda:InvokeFunction"


def _check_secrets_and_logs(stack: Stack, outputs: Mapping[str, Any]) -> None:
    secrets = stack.client("secretsmanager")
    webhook_arn = outputs["webhook_token_secret_arn"]
    green_arn = outputs["green_api_token_secret_arn"]
    assert outputs["webhook_token_secret_name"].startswith(f"{NAME}/webhook-token-")
    assert outputs["green_api_token_secret_name"].startswith(f"{NAME}/green-api-token-")
    generated = secrets.get_secret_value(SecretId=webhook_arn)["SecretString"]
    assert generated == outputs["webhook_token"]
    assert len(generated) == 64
    assert all(character in "0123456789abcdef" for character in generated)
    assert secrets.get_secret_value(SecretId=green_arn)["SecretString"] == GREEN_API_TOKEN
    assert outputs["green_api_token"] == GREEN_API_TOKEN
    assert outputs["green_api_id_instance"] == str(ID_INSTANCE)

    logs = stack.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=outputs["log_group_name"])["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in groups] == [
        (f"/aws/lambda/{NAME}", 14),
        (f"/aws/lambda/{RECONCILE}", 14),
    ]


def _role_statements(stack: Stack, role_arn: str) -> dict[str, Any]:
    """The statements of a role's one inline policy, by Sid."""
    iam = stack.client("iam")
    role_name = role_arn.rsplit("/", 1)[1]
    assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    return {statement["Sid"]: statement for statement in document["Statement"]}


def _check_reconcile(stack: Stack, outputs: Mapping[str, Any]) -> None:
    """A second function from the same zip, invoked only by the schedule, with the event
    function/call_logger/flows/scheduled.py recognises."""
    assert outputs["reconcile_function_name"] == RECONCILE
    lambda_ = stack.client("lambda")
    config = lambda_.get_function_configuration(FunctionName=RECONCILE)
    webhook = _function_config(stack)
    assert config["Handler"] == "lambda_function.reconcile_handler"
    assert config["CodeSha256"] == webhook["CodeSha256"]
    assert config["Timeout"] == 300
    expected = dict(webhook["Environment"]["Variables"])
    del expected["WEBHOOK_TOKEN_SECRET_ARN"]
    # Where its run puts one task per instance (test_terraform_aws_integrators.py).
    expected["RECONCILE_SQS_QUEUE_URL"] = config["Environment"]["Variables"].get(
        "RECONCILE_SQS_QUEUE_URL"
    )
    assert config["Environment"]["Variables"] == expected
    # Not reachable from outside: no URL, no resource policy (only the scheduler's role).
    for call in (lambda_.get_function_url_config, lambda_.get_policy):
        with pytest.raises(ClientError) as caught:
            call(FunctionName=RECONCILE)
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"

    statements = _role_statements(stack, config["Role"])
    assert set(statements) == {
        "CallTable",
        "GreenApiToken",
        "OwnLogs",
        "DispatchTasks",
        "ConsumeTasks",
    }
    assert sorted(_as_list(statements["CallTable"]["Action"])) == CALL_TABLE_ACTIONS
    assert sorted(_as_list(statements["CallTable"]["Resource"])) == [
        outputs["table_arn"],
        f"{outputs['table_arn']}/index/*",
    ]
    assert _as_list(statements["GreenApiToken"]["Resource"]) == [
        outputs["green_api_token_secret_arn"]
    ]
    (log_resource,) = _as_list(statements["OwnLogs"]["Resource"])
    assert log_resource.endswith(f":log-group:/aws/lambda/{RECONCILE}:*")

    schedule = stack.client("scheduler").get_schedule(Name=outputs["reconcile_schedule_name"])
    assert schedule["ScheduleExpression"] == "rate(1 hour)"
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert target["Arn"] == config["FunctionArn"]
    assert json.loads(target["Input"]) == {"action": "reconcile", "since": "3h"}
    invoke = _role_statements(stack, target["RoleArn"])
    assert [(s["Action"], s["Resource"]) for s in invoke.values()] == [
        ("lambda:InvokeFunction", config["FunctionArn"])
    ]
    # Its missing-calls line, and its health check's state and backlog lines, feed the alarms
    # of the same names (alerts.tf).
    filters = stack.client("logs").describe_metric_filters(logGroupName=f"/aws/lambda/{RECONCILE}")[
        "metricFilters"
    ]
    assert {f["metricTransformations"][0]["metricName"]: f["filterPattern"] for f in filters} == {
        "missing-calls": '{ $.event = "reconcile.missing_calls" }',
        "instance-state": '{ ($.event = "instance.state") && ($.severity = "ERROR") }',
        "webhook-backlog": '{ $.event = "instance.webhook_backlog" }',
    }


def _check_reconcile_gone(stack: Stack) -> None:
    with pytest.raises(ClientError) as caught:
        stack.client("lambda").get_function(FunctionName=RECONCILE)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert stack.client("scheduler").list_schedules()["Schedules"] == []


ALARMS = {
    # name suffix: (namespace kind, metric, periods of 60 s that must all breach)
    "webhook-5xx": ("log", "webhook-5xx", 5),
    "instance-state": ("log", "instance-state", 1),
    "rejected": ("log", "rejected", 1),
    "missing-calls": ("log", "missing-calls", 1),
    "webhook-backlog": ("log", "webhook-backlog", 1),
    "lambda-errors": ("AWS/Lambda", "Errors", 1),
    "url-5xx": ("AWS/Lambda", "Url5xxCount", 5),
}


def _check_alerts(stack: Stack, outputs: Mapping[str, Any]) -> None:
    topic = outputs["alerts_topic_arn"]
    sns = stack.client("sns")
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", ALERT_EMAIL)

    filters = {
        f["filterName"]: f
        for f in stack.client("logs").describe_metric_filters(
            logGroupName=outputs["log_group_name"]
        )["metricFilters"]
    }
    assert set(filters) == {f"{NAME}-{key}" for key, spec in ALARMS.items() if spec[0] == "log"}
    patterns = {name: f["filterPattern"] for name, f in filters.items()}
    assert patterns[f"{NAME}-instance-state"] == (
        '{ ($.event = "instance.state") && ($.severity = "ERROR") }'
    )
    assert patterns[f"{NAME}-rejected"] == '{ $.outcome = "rejected" }'
    assert patterns[f"{NAME}-missing-calls"] == '{ $.event = "reconcile.missing_calls" }'
    assert patterns[f"{NAME}-webhook-5xx"] == "{ $.status >= 500 }"
    assert patterns[f"{NAME}-webhook-backlog"] == '{ $.event = "instance.webhook_backlog" }'

    alarms = {
        alarm["AlarmName"]: alarm
        for alarm in stack.client("cloudwatch").describe_alarms(AlarmNamePrefix=NAME)[
            "MetricAlarms"
        ]
    }
    assert set(alarms) == {f"{NAME}-{key}" for key in ALARMS}
    for key, (kind, metric, periods) in ALARMS.items():
        alarm = alarms[f"{NAME}-{key}"]
        namespace = f"GreenCallLogger/{NAME}" if kind == "log" else kind
        assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric), key
        assert alarm["EvaluationPeriods"] == periods, key
        assert alarm["AlarmActions"] == [topic], key
        assert alarm["TreatMissingData"] == "notBreaching", key
        assert len(alarm["AlarmDescription"]) > 80, key  # says what broke and what to do
        if kind != "log":
            assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": NAME}], key


def _check_gone(stack: Stack, outputs: Mapping[str, Any]) -> None:
    def missing(call: Any, code: str, **kwargs: Any) -> None:
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        assert caught.value.response["Error"]["Code"] == code

    missing(stack.client("dynamodb").describe_table, "ResourceNotFoundException", TableName=NAME)
    role_name = outputs["role_arn"].rsplit("/", 1)[1]
    missing(stack.client("iam").get_role, "NoSuchEntity", RoleName=role_name)
    lambda_ = stack.client("lambda")
    missing(lambda_.get_function, "ResourceNotFoundException", FunctionName=NAME)
    secrets = stack.client("secretsmanager")
    for arn in (outputs["webhook_token_secret_arn"], outputs["green_api_token_secret_arn"]):
        missing(secrets.describe_secret, "ResourceNotFoundException", SecretId=arn)
    groups = stack.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{NAME}")
    assert groups["logGroups"] == []


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
