"""function/ is exactly what Terraform zips and deploys (terraform/gcp/storage.tf): it must hold
the entry point Cloud Functions calls and the requirements Cloud Build installs."""

from __future__ import annotations

import importlib
from pathlib import Path

from functions_framework import _function_registry

FUNCTION_DIR = Path(__file__).resolve().parents[1] / "function"


def test_entry_point_is_an_http_function_in_main() -> None:
    main = importlib.import_module("main")
    assert Path(main.__file__ or "").resolve() == FUNCTION_DIR / "main.py"
    # build_config.entry_point in terraform/gcp/function.tf, declared an HTTP function: Cloud
    # Functions would call an undeclared one with the wrong signature.
    assert _function_registry.REGISTRY_MAP.get("handle_webhook") == "http"


def test_requirements_name_the_functions_framework() -> None:
    lines = (FUNCTION_DIR / "requirements.txt").read_text().splitlines()
    names = {line.split(">")[0].split("=")[0].split("<")[0].strip().lower() for line in lines}
    assert "functions-framework" in names
    assert "google-cloud-firestore" in names
