"""Build the Lambda deployment zip reproducibly, with the standard library only.

Usage: python build_zip.py OUTPUT.zip DIR [DIR ...]

Every file under each DIR goes into the zip at its path relative to that DIR, in sorted order,
with a fixed timestamp and fixed permissions, so the archive (and Terraform's
source_code_hash) changes only when a file's content or name does. Byte-code caches, egg-info
folders and pip's bin/ folder (console scripts) are left out. A path found in two DIRs is an
error rather than a silent overwrite.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
SKIPPED_DIRS = {"__pycache__"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def _wanted(relative: Path) -> bool:
    parts = relative.parts
    if parts[0] == "bin":  # console scripts from pip install --target
        return False
    if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in parts[:-1]):
        return False
    return not relative.name.endswith(SKIPPED_SUFFIXES)


def collect(roots: list[Path]) -> dict[str, Path]:
    """Map each archive name to the file it comes from."""
    entries: dict[str, Path] = {}
    for root in roots:
        if not root.is_dir():
            raise SystemExit(f"build_zip: {root} is not a directory")
        for path in root.rglob("*"):
            relative = path.relative_to(root)
            if not path.is_file() or not _wanted(relative):
                continue
            name = relative.as_posix()
            if name in entries:
                raise SystemExit(f"build_zip: {name} is in both {entries[name]} and {path}")
            entries[name] = path
    return entries


def build(output: Path, roots: list[Path]) -> int:
    entries = collect(roots)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o100644 << 16  # regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes())
    partial.replace(output)
    return len(entries)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    output, *roots = (Path(arg) for arg in argv)
    count = build(output, roots)
    print(f"build_zip: {output} ({count} files)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
