"""The reliability suite prints its counts at the end of every run, with or without -s."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from tests.reliability.harness import SUMMARY

# Deterministic in CI: the same examples every run, no example database, no per-example deadline.
settings.register_profile(
    "reliability",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("reliability counts")
        for line in SUMMARY:
            terminalreporter.write_line(line)
