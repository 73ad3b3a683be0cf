"""terraform/gcp deploys the first time and changes nothing the second (issue 23), offline:
alert policies wait until their log-based metrics are known, every monitoring filter names its
resource.type, both functions keep their source generation, the source zip is the same from any
copy of the tree, and a region lacking one of the stack's services is refused at plan time."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any

from tests.iac import gcp_stack as gcp


def with_alerts(tmp_path: Path) -> gcp.Model:
    return gcp.load(tmp_path, alert_email='"oncall@example.com"')


def _ids(items: list[dict[str, Any]]) -> set[str]:
    """The ids of what depends_on names: a resource, or the instances of a for_each resource (a
    map) or of a counted one (a list)."""
    found: set[str] = set()
    for item in items:
        if isinstance(item, list):
            found |= {i["id"] for i in item}
        elif "id" in item:
            found.add(item["id"])
        else:
            found |= {i["id"] for i in item.values()}
    return found


def test_alert_policies_wait_ten_minutes_after_their_log_based_metrics(tmp_path: Path) -> None:
    model = with_alerts(tmp_path)
    metrics = gcp.resources(model, "google_logging_metric")
    (sleep,) = [
        s for s in gcp.resources(model, "time_sleep") if "log_metrics" in s["__tfmeta"]["path"]
    ]
    # "it could take up to 10 minutes to become available" (the API's own error).
    assert gcp.duration_seconds(sleep["create_duration"]) >= 600
    assert _ids(gcp.depends_on(sleep)) == {m["id"] for m in metrics}
    # A new metric waits again; an unchanged set does not.
    assert sleep["triggers"]["metrics"] == ",".join(sorted(m["name"] for m in metrics))
    for policy in gcp.resources(model, "google_monitoring_alert_policy"):
        assert sleep["id"] in _ids(gcp.depends_on(policy)), policy["display_name"]


def test_no_wait_without_alerts(model: gcp.Model) -> None:
    assert not [
        s for s in gcp.resources(model, "time_sleep") if "log_metrics" in s["__tfmeta"]["path"]
    ]


def test_every_monitoring_filter_names_its_resource_type(tmp_path: Path) -> None:
    model = with_alerts(tmp_path)
    metrics = gcp.resources(model, "google_logging_metric")
    policies = gcp.resources(model, "google_monitoring_alert_policy")
    assert metrics and policies
    filters = [m["filter"] for m in metrics]
    for policy in policies:
        (condition,) = gcp.blocks(policy["conditions"])
        filters.append(condition["condition_threshold"]["filter"])
    for text in filters:
        assert re.search(r'(^| AND )resource\.type="cloud_run_revision"( AND |$)', text), text


def test_both_functions_build_the_uploaded_generation_so_a_second_plan_is_empty(
    model: gcp.Model,
) -> None:
    for name in ("webhook", "reconcile"):
        function = gcp.cloud_function(model, name)
        source = function["build_config"]["source"]["storage_source"]
        assert (
            gcp.reference(source["generation"]) == "google_storage_bucket_object.source.generation"
        )


# --- The source zip: the same tree hashes the same on every machine --------------------------


def archive_provider_zip(
    source_dir: Path, excludes: list[str], file_mode: str | None, out: Path
) -> str:
    """What hashicorp/archive 2.7's archive_file does with a source_dir (zip_archiver.go): walk in
    lexical order, skip what an exclude matches ("^" + the pattern with * as .*, on the path
    relative to source_dir; a matched folder is skipped whole), zero timestamps, output_file_mode
    for every entry, deflate. Returns the zip's SHA-256."""
    patterns = [re.compile("^" + exclude.replace("*", ".*")) for exclude in excludes]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, dirs, files in os.walk(source_dir):
            relative_folder = Path(folder).relative_to(source_dir)
            dirs[:] = sorted(
                d
                for d in dirs
                if not any(p.match((relative_folder / d).as_posix()) for p in patterns)
            )
            for name in sorted(files):
                relative = (relative_folder / name).as_posix()
                if any(p.match(relative) for p in patterns):
                    continue
                info = zipfile.ZipInfo(relative, date_time=(1980, 1, 1, 0, 0, 0))
                path = Path(folder) / name
                # Unset, the provider keeps each file's own mode.
                mode = int(file_mode, 8) if file_mode else stat.S_IMODE(path.stat().st_mode)
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return hashlib.sha256(out.read_bytes()).hexdigest()


def test_two_copies_of_the_function_tree_zip_to_the_same_hash(
    model: gcp.Model, tmp_path: Path
) -> None:
    archive = gcp.resource(model, "data.archive_file.function")
    assert (gcp.STACK / archive["source_dir"]).resolve() == gcp.ROOT / "function"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".*_cache")
    clean = shutil.copytree(gcp.ROOT / "function", tmp_path / "clean", ignore=ignore)
    worked_in = shutil.copytree(gcp.ROOT / "function", tmp_path / "worked-in", ignore=ignore)
    # What another machine's checkout and tools leave: other modes, byte code, an editable
    # install's egg-info, caches.
    for path in worked_in.rglob("*.py"):
        path.chmod(0o755)
    (worked_in / "call_logger" / "__pycache__").mkdir()
    (worked_in / "call_logger" / "__pycache__" / "cli.cpython-312.pyc").write_bytes(b"\0")
    (worked_in / "green_call_logger.egg-info").mkdir()
    (worked_in / "green_call_logger.egg-info" / "PKG-INFO").write_text("Name: x\n")
    (worked_in / ".mypy_cache").mkdir()
    (worked_in / ".mypy_cache" / "x.json").write_text("{}")

    hashes = {
        archive_provider_zip(
            tree,
            archive["excludes"],
            archive.get("output_file_mode"),
            tmp_path / f"{tree.name}.zip",
        )
        for tree in (clean, worked_in)
    }

    assert len(hashes) == 1
    names = zipfile.ZipFile(tmp_path / "clean.zip").namelist()
    assert "main.py" in names and "call_logger/cli/__init__.py" in names  # nothing wanted left out


# --- Regions ----------------------------------------------------------------------------------


def test_a_region_lacking_one_of_the_stack_s_services_is_refused_at_plan_time(
    tmp_path: Path,
) -> None:
    # us-central2 is a private Google region; europe-west7 is no region at all.
    for region in ("us-central2", "europe-west7"):
        refused = gcp.load(tmp_path, region=f'"{region}"')
        assert False in list(gcp.conditions(refused, "region")), region
    assert all(c is True for c in gcp.conditions(gcp.load(tmp_path, region='"us-east4"'), "region"))
