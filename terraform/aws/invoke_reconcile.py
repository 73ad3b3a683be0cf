"""Run the deployed reconcile function once (`make backfill-aws`, the end of `make deploy-aws`):
python invoke_reconcile.py FUNCTION_NAME SINCE REGION. Uses your AWS credentials, as Terraform
does; prints the run's counts and exits 1 when the run failed (a rerun completes it)."""

from __future__ import annotations

import json
import sys

import boto3
from botocore.config import Config

# A run may take up to the function's timeout (300 s in reconcile.tf); wait a little longer.
READ_TIMEOUT = 320


def main(function_name: str, since: str, region: str) -> int:
    client = boto3.client(
        "lambda",
        region_name=region,
        config=Config(read_timeout=READ_TIMEOUT, retries={"max_attempts": 1}),
    )
    event = {"action": "reconcile", "since": since}
    answer = client.invoke(FunctionName=function_name, Payload=json.dumps(event))
    print(answer["Payload"].read().decode())
    return 1 if answer.get("FunctionError") else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
