"""Runs terraform and gcloud for the preflight and hands back what they printed, parsed.

No decisions here (those are in call_logger.core.preflight): a command that fails becomes a Failed
with its error output. gcloud never prompts (no input, prompts disabled), so a missing API or
login makes it fail instead of waiting for an answer nobody gives.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from call_logger.core.preflight import (
    DOMAIN_RESTRICTED_SHARING,
    MANAGED_ALLOWED_MEMBERS,
    DeployFacts,
    Failed,
    Parsed,
)

# Seconds; enabling a dozen APIs on a new project can take a couple of minutes.
READ_TIMEOUT = 120
ENABLE_TIMEOUT = 600


def run(argv: list[str], timeout: float = READ_TIMEOUT, stdin: str = "") -> str | Failed:
    """stdout of the command, or Failed with its stderr."""
    env = {**os.environ, "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
    try:
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return Failed(f"{argv[0]} did not answer within {timeout:.0f} s")
    except OSError as error:
        return Failed(f"cannot run {argv[0]}: {error}")
    if done.returncode != 0:
        return Failed(done.stderr or done.stdout)
    return done.stdout


def deploy_facts_output(terraform: str, stack: str, *options: str) -> str | Failed:
    """What `terraform console` prints for local.deploy_facts (needs `terraform init`)."""
    return run(
        [terraform, f"-chdir={stack}", "console", *options],
        stdin="jsonencode(local.deploy_facts)\n",
    )


class Gcloud:
    """The gcloud commands the preflight needs, each answering parsed JSON or Failed."""

    def __init__(self, executable: str) -> None:
        self.executable = executable

    def _json(self, *args: str) -> Any:
        output = run([self.executable, *args, "--format=json", "--quiet"])
        if isinstance(output, Failed):
            return output
        try:
            return json.loads(output or "null")
        except ValueError:
            return Failed(f"gcloud printed something other than JSON: {output[:200]!r}")

    def active_accounts(self) -> list[Parsed] | Failed:
        answer = self._json("auth", "list", "--filter=status:ACTIVE")
        if isinstance(answer, (list, Failed)):
            return answer
        return Failed(f"gcloud printed {type(answer).__name__}, not a list")

    def billing(self, project_id: str) -> Parsed | Failed:
        return self._object("billing", "projects", "describe", project_id)

    def enable(self, facts: DeployFacts) -> Failed | None:
        output = run(
            [
                self.executable,
                "services",
                "enable",
                *facts.apis,
                f"--project={facts.project_id}",
                "--quiet",
            ],
            timeout=ENABLE_TIMEOUT,
        )
        return output if isinstance(output, Failed) else None

    def firestore_database(self, facts: DeployFacts) -> Parsed | Failed:
        return self._object(
            "firestore",
            "databases",
            "describe",
            f"--database={facts.firestore_database}",
            f"--project={facts.project_id}",
        )

    def domain_policy(self, project_id: str) -> Parsed | Failed:
        return self._object(
            "resource-manager",
            "org-policies",
            "describe",
            DOMAIN_RESTRICTED_SHARING,
            f"--project={project_id}",
            "--effective",
        )

    def managed_members_policy(self, project_id: str) -> Parsed | Failed:
        return self._object(
            "org-policies",
            "describe",
            MANAGED_ALLOWED_MEMBERS,
            f"--project={project_id}",
            "--effective",
        )

    def _object(self, *args: str) -> Parsed | Failed:
        """The JSON object a gcloud command prints."""
        answer = self._json(*args)
        if isinstance(answer, (dict, Failed)):
            return answer
        return Failed(f"gcloud printed {type(answer).__name__}, not an object")
