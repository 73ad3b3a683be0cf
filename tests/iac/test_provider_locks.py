"""Both stacks' provider locks let `terraform init` verify the providers on every platform a user
may run it on, not only the one that wrote the lock: a package is accepted when it matches one of
the entry's hashes, and for a platform other than the lock writer's that is the registry's zip
hash (`zh:`, one per platform release: linux_amd64, linux_arm64, darwin_amd64, darwin_arm64,
windows_amd64, ...). A lock holding a single `h1:` fails `terraform init` on macOS, Windows, arm64.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The platforms users run Terraform on; each provider release has a zip (and a zh:) for each.
PLATFORMS = ("linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64")
ENTRY = re.compile(
    r'provider "registry\.terraform\.io/(?P<source>[^"]+)" \{\s*'
    r'version\s*=\s*"(?P<version>[^"]+)"\s*'
    r'constraints\s*=\s*"(?P<constraints>[^"]+)"\s*'
    r"hashes = \[(?P<hashes>[^\]]*)\]"
)
REQUIRED = re.compile(r'source\s*=\s*"(?P<source>[^"]+)"\s*version\s*=\s*"(?P<version>[^"]+)"')


def lock_entries(stack: str) -> dict[str, tuple[str, str, list[str]]]:
    text = (ROOT / "terraform" / stack / ".terraform.lock.hcl").read_text()
    return {
        m["source"]: (m["version"], m["constraints"], re.findall(r'"([^"]+)"', m["hashes"]))
        for m in ENTRY.finditer(text)
    }


def required_providers(stack: str) -> dict[str, str]:
    text = (ROOT / "terraform" / stack / "versions.tf").read_text()
    return {m["source"]: m["version"] for m in REQUIRED.finditer(text)}


@pytest.mark.parametrize("stack", ["aws", "gcp"])
def test_every_required_provider_is_locked_with_hashes_for_every_platform(stack: str) -> None:
    entries = lock_entries(stack)
    required = required_providers(stack)
    assert set(entries) == set(required)
    for source, constraint in required.items():
        version, constraints, hashes = entries[source]
        assert constraints == constraint, source  # what init wrote for this versions.tf
        zip_hashes = [h for h in hashes if re.fullmatch(r"zh:[0-9a-f]{64}", h)]
        assert len(zip_hashes) >= len(PLATFORMS), f"{source} {version}: {len(zip_hashes)} zh:"
        assert any(re.fullmatch(r"h1:[A-Za-z0-9+/]{43}=", h) for h in hashes), source
        assert (
            len(hashes)
            == len(set(hashes))
            == len(zip_hashes) + sum(h.startswith("h1:") for h in hashes)
        )


def test_the_gcp_stack_pins_exact_versions_so_the_lock_decides_nothing() -> None:
    for source, version in required_providers("gcp").items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), source
        assert lock_entries("gcp")[source][0] == version


def test_the_gcp_lock_is_committed() -> None:
    ignored = (ROOT / "terraform" / "gcp" / ".gitignore").read_text().splitlines()
    assert ".terraform.lock.hcl" not in ignored
