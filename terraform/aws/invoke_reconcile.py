"""Run the deployed reconcile function once (`make deploy-aws` backfills with it):
python invoke_reconcile.py FUNCTION_NAME SINCE. Uses your AWS credentials, as Terraform does;
prints the run's counts, exits 1 when the run failed."""

from __future__ import annotations

import json
import sys

import boto3


def main(function_name: str, since: str) -> int:
    event = {"action": "reconcile", "since": since}
    answer = boto3.client("lambda").invoke(FunctionName=function_name, Payload=json.dumps(event))
    result = answer["Payload"].read().decode()
    print(result)
    return 1 if answer.get("FunctionError") else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
