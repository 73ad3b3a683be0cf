"""`make run STORE=dynamodb`: the AWS code path on a local moto server, with no Cloud SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from devserver.emulator import free_port
from devserver.processes import stop_group

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "samples" / "incoming-call-offer.json"


@pytest.fixture
def dynamodb_devserver() -> Iterator[tuple[str, str, list[str]]]:
    port, database_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WEBHOOK_"))}
    command = ["-m", "devserver", "--store", "dynamodb", "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, *command, "--database-port", str(database_port)],
        cwd=ROOT,
        env=env | {"PATH": os.path.dirname(sys.executable)},  # no gcloud, no java
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    banner: list[str] = []
    for line in process.stdout:  # the banner ends with the Ctrl-C line, once serving
        banner.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C"):
            break
    try:
        yield f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{database_port}", banner
    finally:
        stop_group(process)


def test_run_on_dynamodb_records_the_sample_of_its_curl_line(
    dynamodb_devserver: tuple[str, str, list[str]],
) -> None:
    url, database_url, banner = dynamodb_devserver
    curl = next(line for line in banner if line.strip().startswith("curl "))
    assert f"--data @{SAMPLE} {url}" in curl
    request = urllib.request.Request(
        url,
        data=SAMPLE.read_bytes(),
        headers={"Authorization": "Bearer dev-token", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
    table = boto3.client(
        "dynamodb",
        endpoint_url=database_url,
        region_name="us-east-1",
        aws_access_key_id="dev",
        aws_secret_access_key="dev",
    )
    items = table.scan(TableName="green-call-logger")["Items"]
    sample = json.loads(SAMPLE.read_text())
    records = [item for item in items if item["sk"]["S"].startswith("RECORD#")]
    assert [item["sk"]["S"] for item in records] == [f"RECORD#{sample['idMessage']}_offer"]
