"""Offline checks of the Terraform stacks.

They need tfparse and checkov, which live in their own virtual environment (.venv-iac, made by
`make tf-check` from terraform/requirements-check.txt) because they pin many packages the
function must not depend on. The main `pytest` run (.venv, testpaths = tests) therefore does not
collect this folder: without tfparse installed, the tests here are left out rather than failing
on import. `make tf-check` runs them explicitly, where an empty collection fails the run.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

collect_ignore_glob: list[str] = []
if importlib.util.find_spec("tfparse") is None:
    collect_ignore_glob.append("test_*.py")


@pytest.fixture(scope="session")
def model() -> Any:
    """terraform/gcp with the example variables (tests/iac/gcp_stack.py, imported here only when
    a test asks, since it needs tfparse)."""
    from tests.iac.gcp_stack import load

    return load()


@pytest.fixture(scope="session")
def function(model: Any) -> dict[str, Any]:
    """The webhook function of that model."""
    from tests.iac.gcp_stack import cloud_function

    return cloud_function(model, "webhook")
