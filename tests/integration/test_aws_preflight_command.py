"""`python -m call_logger preflight-aws` as `make deploy CLOUD=aws` runs it: a fake terraform
answers the console, STS is moto's, and Lambda's account settings come from a small stand-in
(moto does not implement GetAccountSettings) over real HTTP on loopback. What the command writes
for the apply, and what stops it before anything is created."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from call_logger.cli import main

from tests.support.backends import AwsBackend
from tests.support.fake_cli import FakeCli
from tests.support.lambda_settings import AWS_FACTS as FACTS
from tests.support.lambda_settings import aws_env, lambda_settings


@pytest.fixture
def account(
    aws_backend: AwsBackend, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ThreadingHTTPServer]:
    with lambda_settings() as server:
        for name, value in aws_env(aws_backend, server).items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    path = tmp_path / "aws"
    path.mkdir()
    (path / "terraform.tfvars").write_text('region = "us-east-1"\n')
    terraform = FakeCli("terraform", tmp_path / "bin").install()
    terraform.answer("console", stdout=json.dumps(json.dumps(FACTS)) + "\n")
    return path


def preflight(stack: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    out = stack / "build" / "preflight.tfvars.json"
    code = main(
        [
            "preflight-aws",
            "--stack",
            str(stack),
            "--terraform",
            str(stack.parent / "bin" / "terraform"),
            "--package-zip",
            "build/lambda.zip",
            "--tfvars-out",
            str(out),
        ]
    )
    printed = capsys.readouterr()
    return code, json.loads(out.read_text()), printed.out + printed.err


def test_an_account_that_can_spare_it_reserves_what_was_asked(
    stack: Path, account: ThreadingHTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, apply_vars, printed = preflight(stack, capsys)
    assert code == 0, printed
    assert apply_vars == {"reserved_concurrent_executions": 10}
    assert "preflight:" not in printed  # nothing to say


def test_a_new_account_with_a_quota_of_10_is_deployed_unreserved(
    stack: Path, account: ThreadingHTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    account.limit = 10  # type: ignore[attr-defined]
    code, apply_vars, printed = preflight(stack, capsys)
    assert code == 0, printed
    assert apply_vars == {"reserved_concurrent_executions": -1}
    assert "preflight: note: the account's Lambda concurrency in us-east-1 is 10" in printed


def test_without_credentials_it_stops_before_the_apply(
    stack: Path,
    account: ThreadingHTTPServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    code, apply_vars, printed = preflight(stack, capsys)

    assert code == 1
    assert apply_vars == {}
    assert "preflight: problem: no usable AWS credentials" in printed


def test_without_terraform_tfvars_it_says_what_to_copy(
    stack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (stack / "terraform.tfvars").unlink()
    code, _, printed = preflight(stack, capsys)
    assert code == 1
    assert "terraform.tfvars.example" in printed
