"""The failures a test injects per GREEN-API method (429, 466, 5xx, hangs, drops, trickles, bad
JSON), and the events that hanging and trickling handlers wait on."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FOREVER = math.inf


@dataclass
class Fault:
    status: int | None = None
    hang: float | None = None
    drop: bool = False
    trickle: float | None = None
    bad_json: bool = False
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    times: int | None = None  # None: every request until clear()


class Faults:
    """The faults waiting per method; `stopping` is set once the server stops, so that every
    hanging, trickling or long-polling handler returns promptly."""

    def __init__(self, stopping: threading.Event) -> None:
        self.stopping = stopping
        self._lock = threading.Lock()
        self._waiting: dict[str, list[Fault]] = {}
        self._release = threading.Event()

    def add(self, method: str, fault: Fault) -> None:
        with self._lock:
            self._waiting.setdefault(method, []).append(fault)

    def take(self, method: str) -> Fault | None:
        """The fault for this request to `method`, counting one of its `times`."""
        with self._lock:
            faults = self._waiting.get(method)
            if not faults:
                return None
            fault = faults[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    faults.pop(0)
            return fault

    def clear(self) -> None:
        with self._lock:
            self._waiting.clear()

    def hang(self, seconds: float) -> None:
        """Wait `seconds` (FOREVER: until release() or stop())."""
        with self._lock:
            release = self._release
        release.wait(None if math.isinf(seconds) else seconds)

    def release(self) -> None:
        """Wake every handler currently hanging (later hangs wait again)."""
        with self._lock:
            released, self._release = self._release, threading.Event()
        released.set()

    def stop(self) -> None:
        self.stopping.set()
        with self._lock:
            self._release.set()
