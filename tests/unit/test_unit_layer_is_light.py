"""The unit layer runs with nothing but the venv: none of its modules imports a database client,
moto or the HTTP client (`make test-unit` runs it without tests/conftest.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("google.cloud.firestore", "boto3", "botocore", "moto", "requests")

SCRIPT = f"""
import importlib, json, pkgutil, sys
import tests.unit as unit
for module in pkgutil.iter_modules(unit.__path__):
    importlib.import_module("tests.unit." + module.name)
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
"""


def test_no_unit_module_imports_a_heavy_client() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'function'}:{ROOT}"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
