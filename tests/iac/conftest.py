"""Offline checks of the Terraform stacks.

They need tfparse and checkov, which live in their own virtual environment (.venv-iac, made by
`make tf-check` from terraform/requirements-check.txt) because they pin many packages the
function must not depend on. The main `pytest` run (.venv, testpaths = tests) therefore does not
collect this folder: without tfparse installed, the tests here are left out rather than failing
on import. `make tf-check` runs them explicitly, where an empty collection fails the run.
"""

from __future__ import annotations

import importlib.util

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("tfparse") is None:
    collect_ignore_glob.append("test_*.py")
