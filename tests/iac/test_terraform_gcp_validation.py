"""terraform/gcp offline: each variable's validation refuses a bad value and accepts a good one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.iac import gcp_stack as gcp
from tests.support.shared_settings_cases import SHARED_SETTINGS


def test_the_example_passes_every_validation(model: gcp.Model) -> None:
    for item in model["variable"]:
        for condition in gcp.conditions(model, item["__tfmeta"]["label"]):
            assert condition is True, item["__tfmeta"]["label"]


# name -> (a bad value, a good value), as HCL expressions: the settings both stacks share
# (tests/support/shared_settings_cases.py), then Google Cloud's own. tfparse does not stop on a
# failed validation: it reports the evaluated condition, so a rejected value shows as False.
CASES: dict[str, tuple[str, str]] = {
    **{name: (case.bad, case.good) for name, case in SHARED_SETTINGS.items()},
    "project_id": ('"My_Project"', '"my-project-123"'),
    "region": ('"europe west1"', '"us-central1"'),
    "function_name": ('"Call-Logger-"', '"call-logger"'),
    "firestore_database": ('"Calls_DB"', '"calls-db"'),
    "firestore_location": ('"Europe"', '"nam5"'),
    "runtime": ('"python311"', '"python313"'),
    "memory": ('"256MB"', '"512Mi"'),
    "cpu": ('"lots"', '"1"'),
    "timeout_seconds": ("600", "120"),
    "min_instance_count": ("-1", "1"),
    "max_instance_count": ("0", "3"),
    "max_instance_request_concurrency": ("0", "1"),
    "reconcile_schedule": ('"hourly"', '"*/30 * * * *"'),
    # Google Cloud's bounds (tasks.tf), not AWS's (up to 1000).
    "reconcile_concurrency": ("101", "100"),
}


# The regions where the stack's services are all offered: its own list (regions.tf). Refusing the
# others is tests/iac/test_gcp_deploy_once.py's.
CLOUD_RUN_REGIONS: list[str] = next(
    block["supported_regions"] for block in gcp.load()["locals"] if "supported_regions" in block
)
# Firestore's multi-region locations (its regional ones are the regions above).
FIRESTORE_MULTI_REGIONS = ["eur3", "nam5", "nam7"]
# Google's Python runtimes for Cloud Run functions that the function supports (3.12 and later).
PYTHON_RUNTIMES = ["python312", "python313", "python314"]


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("region", CLOUD_RUN_REGIONS),
        ("firestore_location", CLOUD_RUN_REGIONS + FIRESTORE_MULTI_REGIONS),
        ("runtime", PYTHON_RUNTIMES),
    ],
)
def test_validation_accepts_every_value_google_lists(
    name: str, values: list[str], tmp_path: Path
) -> None:
    refused = []
    for value in values:
        if not all(
            c is True for c in gcp.conditions(gcp.load(tmp_path, **{name: f'"{value}"'}), name)
        ):
            refused.append(value)
    assert refused == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_validation_rejects_a_bad_value_and_accepts_a_good_one(name: str, tmp_path: Path) -> None:
    bad, good = CASES[name]
    bad_model = gcp.load(tmp_path, **{name: bad})
    assert False in list(gcp.conditions(bad_model, name)), f"{name} = {bad} was accepted"
    good_model = gcp.load(tmp_path, **{name: good})
    assert all(c is True for c in gcp.conditions(good_model, name)), f"{name} = {good} was rejected"


def test_every_validated_variable_has_a_case(model: gcp.Model) -> None:
    validated = {v["__tfmeta"]["label"] for v in model["variable"] if v.get("validation")}
    assert validated == set(CASES)


@pytest.mark.parametrize(
    ("overrides", "name"),
    [
        ({"min_instance_count": "5", "max_instance_count": "2"}, "max_instance_count"),
        ({"max_instance_request_concurrency": "8"}, "max_instance_request_concurrency"),
        ({"missed_call_reply_after_hours": '"Closed"'}, "business_hours"),
        ({"digest_time": '"09:00"'}, "digest_time"),  # no chat to send it to
        (
            {
                "digest_time": '"09:00"',
                "operator_chat_id": gcp.hcl(gcp.OPERATOR_CHAT),
                "reconcile_enabled": "false",  # no runs to send it
            },
            "digest_time",
        ),
        (
            {"max_instance_request_concurrency": "8", "cpu": '"0.5"'},
            "max_instance_request_concurrency",
        ),
    ],
)
def test_cross_variable_validation(overrides: dict[str, str], name: str, tmp_path: Path) -> None:
    assert False in list(gcp.conditions(gcp.load(tmp_path, **overrides), name))


def test_a_digest_needs_a_chat_and_the_schedule(tmp_path: Path) -> None:
    chat = gcp.hcl(gcp.OPERATOR_CHAT)
    for accepted in (
        gcp.load(tmp_path, digest_time='"09:00"', operator_chat_id=chat),
        gcp.many(tmp_path, digest_time='"09:00"'),  # each instance's own operatorChatId
    ):
        assert all(c is True for c in gcp.conditions(accepted, "digest_time"))


def test_concurrency_with_a_whole_cpu_is_accepted(tmp_path: Path) -> None:
    model = gcp.load(tmp_path, max_instance_request_concurrency="8", cpu='"1"')
    assert all(c is True for c in gcp.conditions(model, "max_instance_request_concurrency"))
