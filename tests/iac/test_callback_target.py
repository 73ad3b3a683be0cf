"""callback_target (issue 27, item 4): CALLBACK_TARGET in the function's environment when it is
not the function's own default, for the webhook and the reconcile function that sends digests."""

from __future__ import annotations

from pathlib import Path

from tests.iac import gcp_stack as gcp


def environment(tmp_path: Path, **overrides: str) -> list[dict[str, str]]:
    model = gcp.load(tmp_path, **overrides)
    return [
        gcp.cloud_function(model, name)["service_config"]["environment_variables"]
        for name in ("webhook", "reconcile")
    ]


def test_a_target_is_passed_to_both_functions(tmp_path: Path) -> None:
    found = environment(tmp_path, callback_target='"30m"')

    assert [env.get("CALLBACK_TARGET") for env in found] == ["30m", "30m"]


def test_the_default_is_left_to_the_function(tmp_path: Path) -> None:
    assert [env.get("CALLBACK_TARGET") for env in environment(tmp_path)] == [None, None]
