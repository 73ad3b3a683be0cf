"""The Google Cloud stack (terraform/gcp) as tfparse models it, for the tests in tests/iac.

tfparse evaluates the configuration without providers: variables (from terraform.tfvars.example
plus any override file), locals, count/for_each and validation conditions. Values only known
after apply (resource attributes) come back as {"__attribute__": "<reference>"}. This module
holds no tests; the `model` fixture (the example variables) is in conftest.py.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tfparse import load_from_path

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "terraform" / "gcp"
SETTINGS = ROOT / "function" / "call_logger" / "settings"

Model = Mapping[str, list[dict[str, Any]]]


def load(tmp_path: Path | None = None, **overrides: str) -> Model:
    """Parse the stack with the example variables, then `overrides` (name -> HCL expression)."""
    vars_paths = ["terraform.tfvars.example"]
    if overrides:
        assert tmp_path is not None
        override_file = tmp_path / "override.tfvars"
        override_file.write_text("".join(f"{k} = {v}\n" for k, v in overrides.items()))
        # tfparse joins vars paths onto the module directory, so they must be relative to it.
        vars_paths.append(os.path.relpath(override_file, STACK))
    return load_from_path(STACK, vars_paths=vars_paths, stop_on_hcl_error=True)


def hcl(text: str) -> str:
    """A string as an HCL expression (its JSON quoting is HCL's)."""
    return json.dumps(text)


def webhook_env_with(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The webhook function's plain environment with the example variables, then `overrides`."""
    return webhook_env(load(tmp_path, **overrides))


# An operator chat: a personal one (a group is refused).
OPERATOR_CHAT = "79001234567@c.us"


def resources(model: Model, kind: str) -> list[dict[str, Any]]:
    return model.get(kind, [])


def resource(model: Model, address: str) -> dict[str, Any]:
    kind = address.removeprefix("data.").split(".")[0]
    found = [r for r in resources(model, kind) if r["__tfmeta"]["path"].startswith(address)]
    assert len(found) == 1, f"expected one {address}, found {len(found)}"
    return found[0]


ACCOUNT_REFERENCE = re.compile(r"google_service_account\.this\.\[(\w+)\]\.(?:member|email|name)")
ACCOUNT_TEXT = re.compile(r"(?:serviceAccount:)?([a-z0-9-]+)@[a-z0-9-]+\.iam\.gserviceaccount\.com")


def account(model: Model, value: Any) -> str:
    """Which of the stack's service accounts (its key in iam.tf) a value names: a reference to
    google_service_account.this[key], or the email or member text iam.tf gives the keyed grants
    and the private functions."""
    if isinstance(value, dict):
        match = ACCOUNT_REFERENCE.fullmatch(reference(value))
        assert match, f"not a service account: {value!r}"
        return match.group(1)
    match = ACCOUNT_TEXT.fullmatch(str(value))
    assert match, f"not a service account email or member: {value!r}"
    (key,) = [
        account_key(r)
        for r in resources(model, "google_service_account")
        if r["account_id"] == match.group(1)
    ]
    return key


def account_key(account: dict[str, Any]) -> str:
    """The key of a google_service_account.this instance."""
    path: str = account["__tfmeta"]["path"]
    return path.removeprefix('google_service_account.this["').removesuffix('"]')


def function_address(name: str) -> str:
    """A function's address: one keyed resource holds the webhook, reconcile and events."""
    return f'google_cloudfunctions2_function.this["{name}"]'


def cloud_function(model: Model, name: str) -> dict[str, Any]:
    """One of the stack's functions, by its key (webhook, reconcile, events)."""
    return resource(model, function_address(name))


def webhook_env(model: Model) -> dict[str, str]:
    """The webhook function's plain environment variables."""
    env: dict[str, str] = cloud_function(model, "webhook")["service_config"][
        "environment_variables"
    ]
    return env


def blocks(value: Any) -> list[dict[str, Any]]:
    """A nested block is a dict when it appears once and a list when repeated."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def reference(value: Any) -> str:
    """The Terraform reference behind a value known only after apply."""
    assert isinstance(value, dict) and "__attribute__" in value, f"not a reference: {value!r}"
    return str(value["__attribute__"])


def variable(model: Model, name: str) -> dict[str, Any]:
    found = [v for v in model["variable"] if v["__tfmeta"]["label"] == name]
    assert len(found) == 1, name
    return found[0]


def conditions(model: Model, name: str) -> Iterator[Any]:
    for validation in blocks(variable(model, name).get("validation")):
        yield validation["condition"]


def depends_on(item: dict[str, Any]) -> list[dict[str, Any]]:
    """tfparse inlines each depends_on entry as the referenced resource (or, for a for_each
    resource, a map of its instances)."""
    return blocks(item.get("depends_on"))


def waits_on(item: dict[str, Any], sleep: dict[str, Any]) -> bool:
    return any(d.get("id") == sleep["id"] for d in depends_on(item))


def duration_seconds(text: str) -> int:
    match = re.fullmatch(r"(\d+)s", text)
    assert match, f"not a duration in seconds: {text!r}"
    return int(match.group(1))


def config_env_names() -> set[str]:
    """Every environment variable name the settings package (Config.from_env) reads."""
    source = "\n".join(path.read_text() for path in SETTINGS.glob("*.py"))
    return set(re.findall(r"""\b(?:get|read)\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))


# --- Several instances (green_api_instances) ------------------------------------------------

# Each with its own webhookUrlToken: the secret's data is then known before apply (a generated
# one is not: test_terraform_gcp_tasks.py).
INSTANCES = (
    '{ "1101000001" = { apiUrl = "https://7105.api.greenapi.com", apiTokenInstance = '
    '"shop-token-0123456789", label = "Shop", webhookUrlToken = '
    '"shop-webhook-token-0123456789abcdef" }, "1101000002" = { apiUrl = '
    '"https://api.green-api.com", apiTokenInstance = "clinic-token-0123456789", '
    'webhookUrlToken = "clinic-webhook-token-0123456789abcdef" } }'
)


def many(tmp_path: Path, **overrides: str) -> Model:
    settings = {
        "green_api_instances": INSTANCES,
        "green_api_id_instance": "null",
        "green_api_token": "null",
    }
    return load(tmp_path, **(settings | overrides))


def one(key: str = "1", url: str = "https://a.b", token: str = "0123456789") -> str:
    """A green_api_instances value of one instance, as HCL."""
    return f'{{ "{key}" = {{ apiUrl = "{url}", apiTokenInstance = "{token}" }} }}'
