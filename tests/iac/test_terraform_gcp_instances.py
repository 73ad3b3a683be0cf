"""terraform/gcp offline: several instances (green_api_instances) in one secret, and the settings
contract both stacks take from terraform/shared/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.iac import gcp_stack as gcp


def test_the_instance_map_is_one_secret_read_as_its_latest_version(tmp_path: Path) -> None:
    model = gcp.many(tmp_path)
    assert all(c is True for c in gcp.conditions(model, "green_api_instances"))
    function = gcp.cloud_function(model, "webhook")
    service = function["service_config"]
    secrets = {s["key"]: s for s in gcp.blocks(service["secret_environment_variables"])}
    assert set(secrets) == {"WEBHOOK_TOKEN", "GREEN_API_INSTANCES"}
    assert secrets["GREEN_API_INSTANCES"]["version"] == "latest"
    secret = gcp.resource(model, 'google_secret_manager_secret.this["green_api_token"]')
    assert secret["secret_id"] == "green-call-logger-green-api-instances"
    assert secrets["GREEN_API_INSTANCES"]["secret"] == secret["secret_id"]
    data = json.loads(
        gcp.resource(model, 'google_secret_manager_secret_version.this["green_api_token"]')[
            "secret_data"
        ]
    )
    assert sorted(data) == ["1101000001", "1101000002"]
    assert data["1101000001"]["apiTokenInstance"] == "shop-token-0123456789"
    assert data["1101000001"]["label"] == "Shop"
    # Each instance has its own id and URL: the single-instance ones would be refused.
    env = service["environment_variables"]
    assert not {"GREEN_API_ID_INSTANCE", "GREEN_API_URL", "GREEN_API_TOKEN"} & set(env)
    assert "GREEN_API_INSTANCES" in gcp.config_env_names()
    assert "shop-token" not in json.dumps(service["environment_variables"])


@pytest.mark.parametrize(
    ("overrides", "broken"),
    [
        ({"green_api_instances": gcp.one(key="shop")}, "key"),
        ({"green_api_instances": gcp.one(url="http://a.b")}, "url"),
        ({"green_api_instances": gcp.one(token="has space s")}, "token"),
        ({"green_api_token": '"0123456789abcdef"'}, "both"),
    ],
)
def test_a_bad_instance_map_is_refused(
    tmp_path: Path, overrides: dict[str, str], broken: str
) -> None:
    assert False in list(gcp.conditions(gcp.many(tmp_path, **overrides), "green_api_instances")), (
        broken
    )


def test_one_instance_needs_its_id_as_well_as_its_token(tmp_path: Path) -> None:
    # Without the id the function would accept any instance's notifications.
    for missing in ("green_api_id_instance", "green_api_token"):
        model = gcp.load(tmp_path, **{missing: "null"})
        assert False in list(gcp.conditions(model, "green_api_instances")), missing


# --- One contract for both stacks (terraform/shared/) ----------------------------------------

SHARED_FILES = sorted((gcp.ROOT / "terraform" / "shared").glob("*.tf"))


def _variables_declared_in(path: Path) -> set[str]:
    return set(re.findall(r'^variable "(\w+)"', path.read_text(), flags=re.MULTILINE))


@pytest.mark.parametrize("shared", SHARED_FILES, ids=lambda path: path.name)
@pytest.mark.parametrize("cloud", ["gcp", "aws"])
def test_both_stacks_take_the_shared_settings(cloud: str, shared: Path) -> None:
    stack = gcp.ROOT / "terraform" / cloud
    link = stack / shared.name
    # A relative link, so that a checkout anywhere resolves it.
    assert link.is_symlink() and link.readlink() == Path("../shared") / shared.name
    assert link.resolve() == shared
    own = set().union(
        *(_variables_declared_in(f) for f in stack.glob("*.tf") if not f.is_symlink())
    )
    assert own.isdisjoint(_variables_declared_in(shared))
