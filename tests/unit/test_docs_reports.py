"""docs/reports.md states the report's contract: every JSON key, the spans of the time chart's
buckets, and the export's columns in their order."""

from __future__ import annotations

import re

from call_logger.core import buckets, export, report

from tests.support.docs import section


def test_every_report_key_is_explained() -> None:
    text = section("reports.md", "How calls went: the report")

    assert [key for key in report.KEYS if f"`{key}`" not in text] == []


def test_the_span_table_gives_the_bucket_limits() -> None:
    table = section("reports.md", "The time chart at any span")

    assert re.findall(r"^\| up to (\d+) ", table, re.MULTILINE) == [
        str(buckets.MOST[unit]) for unit in ("day", "week", "month")
    ]


def test_the_export_columns_are_listed_in_order() -> None:
    text = section("reports.md", "Export: every record as CSV or JSON Lines")
    listed = re.search(r"^(`eventAt`.*?)\n\n", text, re.MULTILINE | re.DOTALL)

    assert listed and re.findall(r"`(\w+)`", listed.group(1)) == list(export.COLUMNS)
