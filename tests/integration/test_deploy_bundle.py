"""function/ is exactly what Terraform zips and deploys (terraform/gcp/storage.tf): it must hold
the entry point Cloud Functions calls and the requirements Cloud Build installs, pinned (`make
lock`); the Lambda zip installs the same pins."""

from __future__ import annotations

import importlib
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from functions_framework import _function_registry
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_DIR = ROOT / "function"
# What Cloud Functions' build installs: requirements.txt in the deployed folder.
LOCK = FUNCTION_DIR / "requirements.txt"
LAMBDA_INPUT = ROOT / "terraform" / "aws" / "lambda-requirements.in"
LAMBDA_LOCK = ROOT / "terraform" / "aws" / "lambda-requirements.txt"


@dataclass(frozen=True)
class Pin:
    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def version(self) -> str:
        (spec,) = self.requirement.specifier  # exactly one: asserted by the tests
        return spec.version


def read_lock(path: Path) -> dict[str, Pin]:
    """Each entry of a requirements file: `name==version ; marker --hash=sha256:... ...`."""
    text = re.sub(r"\s*\\\n\s*", " ", path.read_text())
    pins: dict[str, Pin] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement, *options = line.strip().split(" --")
        hashes = tuple(option.removeprefix("hash=") for option in options)
        assert all(option.startswith("hash=sha256:") for option in options), line
        parsed = Requirement(requirement)
        pins[canonicalize_name(parsed.name)] = Pin(parsed, hashes)
    return pins


def ranges() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"]]


def test_entry_point_is_an_http_function_in_main() -> None:
    main = importlib.import_module("main")
    assert Path(main.__file__ or "").resolve() == FUNCTION_DIR / "main.py"
    # build_config.entry_point in terraform/gcp/function.tf, declared an HTTP function: Cloud
    # Functions would call an undeclared one with the wrong signature.
    assert _function_registry.REGISTRY_MAP.get("handle_webhook") == "http"


@pytest.mark.parametrize("lock", [LOCK, LAMBDA_LOCK], ids=["function", "lambda"])
def test_every_locked_package_is_pinned_exactly(lock: Path) -> None:
    pins = read_lock(lock)
    loose = [
        name
        for name, pin in pins.items()
        if [spec.operator for spec in pin.requirement.specifier] != ["=="]
    ]
    assert pins and loose == []


@pytest.mark.parametrize("lock", [LOCK, LAMBDA_LOCK], ids=["function", "lambda"])
def test_every_locked_package_has_hashes(lock: Path) -> None:
    pins = read_lock(lock)
    assert pins and [name for name, pin in pins.items() if not pin.hashes] == []


def test_the_lock_pins_every_range_of_pyproject_within_it() -> None:
    pins = read_lock(LOCK)
    outside = {
        str(wanted): pins[canonicalize_name(wanted.name)].version
        for wanted in ranges()
        if canonicalize_name(wanted.name) not in pins
        or pins[canonicalize_name(wanted.name)].version not in wanted.specifier
    }
    assert outside == {}


def test_the_lambda_lock_is_the_function_lock_at_the_same_versions() -> None:
    pins, lambda_pins = read_lock(LOCK), read_lock(LAMBDA_LOCK)
    wanted = {
        canonicalize_name(line)
        for line in LAMBDA_INPUT.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert wanted <= lambda_pins.keys()
    differing = {
        name: (pin.version, pins[name].version if name in pins else None)
        for name, pin in lambda_pins.items()
        if name not in pins or pins[name].version != pin.version
    }
    assert differing == {}
    # Google Cloud's runtime packages stay out of the Lambda zip.
    assert {"functions-framework", "google-cloud-firestore"}.isdisjoint(lambda_pins)


def test_the_lambda_zip_installs_the_lambda_lock_checking_hashes() -> None:
    # A Python version no build directory exists for, so make plans the install step.
    plan = subprocess.run(
        ["make", "-n", "lambda-zip", "LAMBDA_PYTHON_VERSION=0.0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commands = re.sub(r"\s*\\\n\s*", " ", plan).splitlines()
    (install,) = [line for line in commands if "--target build/lambda-pkg-py0.0" in line]
    assert "--require-hashes" in install.split()
    assert f"-r {LAMBDA_LOCK.relative_to(ROOT)}" in install
