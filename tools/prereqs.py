"""Check what `make run` and `make test` need before they start, one line per missing tool.

Run by the Makefile with the system Python, before `.venv` exists, so it uses the standard
library only:

    python3 tools/prereqs.py run [--store firestore|dynamodb]
    python3 tools/prereqs.py test [--terraform PATH]

Exit 0 when everything is there, 1 with one line per problem on stderr otherwise. The decisions
(`problems`) are pure; `probe` is the only part that looks at the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MIN_PYTHON = (3, 11)
MIN_JAVA = 11
MIN_TERRAFORM = (1, 9)

EMULATOR_INSTALL = (
    "`gcloud components install cloud-firestore-emulator`, or the "
    "`google-cloud-cli-firestore-emulator` package from Google's apt repository"
)
GCLOUD_INSTALL = (
    "install the Google Cloud SDK (https://cloud.google.com/sdk/docs/install), then the emulator: "
    + EMULATOR_INSTALL
)
JAVA_INSTALL = "install Java 11 or newer (e.g. `apt-get install default-jre-headless`)"
TERRAFORM_INSTALL = (
    "install terraform 1.9 or newer (https://developer.hashicorp.com/terraform/install)"
)
DYNAMODB_HINT = "or try `make run STORE=dynamodb` (DynamoDB on a local moto server, no Cloud SDK)"


@dataclass(frozen=True)
class Found:
    """What the machine has; None where a tool is missing or its version could not be read."""

    python: tuple[int, int]
    gcloud: bool
    emulator: bool
    java: int | None
    terraform: tuple[int, int] | None


def problems(target: str, store: str, found: Found) -> list[str]:
    """One line per missing prerequisite of `make <target>`, each naming the fix."""
    lines: list[str] = []
    if found.python < MIN_PYTHON:
        lines.append(
            f"missing: Python {'.'.join(map(str, MIN_PYTHON))}+ (found "
            f"{'.'.join(map(str, found.python))}): run make with PYTHON=python3.11 or newer"
        )
    needs_emulator = target == "test" or store == "firestore"
    if needs_emulator:
        hint = f"; {DYNAMODB_HINT}" if target == "run" else ""
        if not found.gcloud:
            lines.append(
                f"missing: gcloud (the Firestore emulator runs under it): {GCLOUD_INSTALL}{hint}"
            )
        elif not found.emulator:
            lines.append(f"missing: the Firestore emulator: {EMULATOR_INSTALL}{hint}")
        if found.java is None:
            lines.append(f"missing: java (the Firestore emulator needs it): {JAVA_INSTALL}{hint}")
        elif found.java < MIN_JAVA:
            lines.append(
                f"too old: java {found.java} (the Firestore emulator needs 11+): {JAVA_INSTALL}"
            )
    if target == "test":
        if found.terraform is None:
            lines.append(
                f"missing: terraform (the Terraform checks of make test): {TERRAFORM_INSTALL}"
            )
        elif found.terraform < MIN_TERRAFORM:
            version = ".".join(map(str, found.terraform))
            lines.append(f"too old: terraform {version}: {TERRAFORM_INSTALL}")
    return lines


def java_major(version_output: str) -> int | None:
    """`java -version` text -> major version: '1.8.0_392' is 8, '17.0.15' is 17."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def terraform_version(version_output: str) -> tuple[int, int] | None:
    match = re.search(r"Terraform v(\d+)\.(\d+)", version_output)
    return (int(match.group(1)), int(match.group(2))) if match else None


def probe(path: str | None = None, terraform_command: str = "terraform") -> Found:
    """Look for each tool on PATH (`path` overrides it, for tests) and read its version;
    Terraform is `terraform_command` (the Makefile's TERRAFORM)."""
    gcloud = shutil.which("gcloud", path=path)
    # The emulator is a component inside the SDK: <sdk>/bin/gcloud and
    # <sdk>/platform/cloud-firestore-emulator (gcloud components and Google's apt packages alike).
    sdk = Path(gcloud).resolve().parent.parent if gcloud else None
    emulator = sdk is not None and (sdk / "platform" / "cloud-firestore-emulator").is_dir()
    java = shutil.which("java", path=path)
    terraform = shutil.which(terraform_command, path=path)
    return Found(
        python=(sys.version_info.major, sys.version_info.minor),
        gcloud=gcloud is not None,
        emulator=emulator,
        java=java_major(_output([java, "-version"])) if java else None,
        terraform=terraform_version(_output([terraform, "version"])) if terraform else None,
    )


def _output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout + done.stderr


def main(argv: list[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=("run", "test"))
    parser.add_argument("--store", choices=("firestore", "dynamodb"), default="firestore")
    parser.add_argument("--terraform", default="terraform", help="the terraform command")
    options = parser.parse_args(argv)
    lines = problems(options.target, options.store, probe(environ.get("PATH"), options.terraform))
    for line in lines:
        print(f"make {options.target}: {line}", file=sys.stderr)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
