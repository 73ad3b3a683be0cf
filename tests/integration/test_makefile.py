"""The Makefile: one .PHONY list, each phony target in `make help`, Terraform as $(TERRAFORM)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The Makefile's lines, continuations joined.
LINES = re.sub(r"\\\n", " ", (ROOT / "Makefile").read_text()).splitlines()


def phony_lists() -> list[list[str]]:
    return [line.split(":", 1)[1].split() for line in LINES if line.startswith(".PHONY:")]


def test_phony_targets_are_declared_in_one_list() -> None:
    assert len(phony_lists()) == 1


def test_help_lists_every_phony_target() -> None:
    shown = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # "  name [name ...]   description": names, then two or more spaces.
    listed = {
        name
        for line in shown.splitlines()
        if line.startswith("  ")
        for name in re.split(r"\s{2,}", line.strip())[0].split()
    }
    (phony,) = phony_lists()
    assert sorted(set(phony) - listed) == []


def test_every_terraform_command_is_the_terraform_variable() -> None:
    # A bare `terraform ...` would ignore TERRAFORM=/path/to/terraform. Comments (and the `## `
    # help text) may name the command.
    code = [re.sub(r"(^|\s)#.*", "", line) for line in LINES]
    bare = [line for line in code if re.search(r"(?<![\w/.-])terraform\s+\S", line)]
    assert bare == []
