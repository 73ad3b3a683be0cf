"""Where the benchmark lives and how long and how hard it measures (`make bench`: bench/run.py)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FUNCTIONS_FRAMEWORK = Path(sys.executable).with_name("functions-framework")
PEER_PYTHON = BENCH / ".venv-peer" / "bin" / "python"


@dataclass(frozen=True)
class Settings:
    concurrency: int = 8  # gunicorn THREADS and wrk connections
    warmup: float = 2.0  # seconds of load on each server before its first measured run
    duration: float = 3.0  # seconds of each measured run
    # Measured runs of each server. Servers take turns within a round, so the runs of one round
    # saw nearly the same background load: a ratio is the median of per-round ratios, and many
    # short rounds let it shrug off the bursts of other work on a shared machine.
    rounds: int = 16
    # Process starts of each function, taking turns. Start times on a shared machine come in two
    # modes tens of milliseconds apart, so it takes many pairs for the median ratio to settle.
    cold_starts: int = 31
    callers: int = 1000  # distinct chats in the recorded-call load
