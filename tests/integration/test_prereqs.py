"""`make run` and `make test` name each missing prerequisite in one line (tools/prereqs.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.prereqs import Found, java_major, problems, terraform_version

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
EVERYTHING = Found(python=(3, 11), gcloud=True, emulator=True, java=17, terraform=(1, 11))
TOOLS = ("gcloud", "java", "terraform")


def _stub_machine(tmp_path: Path, without: str | None = None, emulator: bool = True) -> str:
    """A PATH holding python3 and stubs of the tools that answer as the real ones do."""
    sdk = tmp_path / "google-cloud-sdk"
    (sdk / "bin").mkdir(parents=True)
    if emulator:
        (sdk / "platform" / "cloud-firestore-emulator").mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    stubs = {
        "gcloud": (sdk / "bin" / "gcloud", "exit 0"),
        "java": (bin_dir / "java", "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2"),
        "terraform": (bin_dir / "terraform", "echo 'Terraform v1.11.4'"),
    }
    for name, (path, body) in stubs.items():
        if name == without:
            continue
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
        if path.parent != bin_dir:
            (bin_dir / name).symlink_to(path)
    return str(bin_dir)


def _check(path: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "prereqs.py"), *args],
        env={"PATH": path},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_machine_with_every_tool_passes_both_checks(tmp_path: Path) -> None:
    path = _stub_machine(tmp_path)
    for target in ("run", "test"):
        done = _check(path, target)
        assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.parametrize(
    ("missing", "target", "expected"),
    [
        ("gcloud", "run", "gcloud components install cloud-firestore-emulator"),
        ("gcloud", "test", "gcloud components install cloud-firestore-emulator"),
        ("java", "run", "install Java 11 or newer"),
        ("java", "test", "install Java 11 or newer"),
        ("terraform", "test", "install terraform 1.9 or newer"),
    ],
)
def test_each_missing_tool_is_one_line_naming_the_install(
    tmp_path: Path, missing: str, target: str, expected: str
) -> None:
    done = _check(_stub_machine(tmp_path, without=missing), target)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"make {target}: missing: {missing}")
    assert expected in line


def test_terraform_is_the_command_make_is_given(tmp_path: Path) -> None:
    path = _stub_machine(tmp_path, without="terraform")
    elsewhere = tmp_path / "opt" / "terraform"
    elsewhere.parent.mkdir()
    elsewhere.write_text("#!/bin/sh\necho 'Terraform v1.11.4'\n")
    elsewhere.chmod(0o755)
    done = _check(path, "test", "--terraform", str(elsewhere))
    assert (done.returncode, done.stderr) == (0, "")


def test_make_run_without_gcloud_suggests_dynamodb_and_shows_no_traceback(tmp_path: Path) -> None:
    if MAKE is None:
        pytest.skip("make is not on PATH")
    path = _stub_machine(tmp_path, without="gcloud")
    done = subprocess.run(
        [MAKE, "--no-print-directory", "run"],
        cwd=ROOT,
        env={"PATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "make run STORE=dynamodb" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_run_on_dynamodb_needs_no_cloud_sdk_nor_java(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    path = _stub_machine(bare, without="gcloud")
    os.remove(Path(path) / "java")
    assert _check(path, "run", "--store", "dynamodb").returncode == 0


def test_the_emulator_component_is_checked_inside_the_sdk(tmp_path: Path) -> None:
    done = _check(_stub_machine(tmp_path, emulator=False), "run")
    assert done.returncode == 1
    assert done.stderr.startswith("make run: missing: the Firestore emulator: `gcloud components")


def test_old_versions_are_named() -> None:
    old = Found(python=(3, 10), gcloud=True, emulator=True, java=8, terraform=(1, 5))
    lines = problems("test", "firestore", old)
    assert [line.split(":")[0] for line in lines] == ["missing", "too old", "too old"]
    assert "found 3.10" in lines[0]
    assert "java 8" in lines[1]
    assert "terraform 1.5" in lines[2]


def test_terraform_is_needed_by_test_only() -> None:
    no_terraform = Found(python=(3, 11), gcloud=True, emulator=True, java=17, terraform=None)
    assert problems("run", "firestore", no_terraform) == []
    assert len(problems("test", "firestore", no_terraform)) == 1


@pytest.mark.parametrize(
    ("text", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ("no java here", None),
    ],
)
def test_java_major(text: str, major: int | None) -> None:
    assert java_major(text) == major


def test_terraform_version() -> None:
    assert terraform_version("Terraform v1.11.4\non linux_amd64") == (1, 11)
    assert terraform_version("nonsense") is None
