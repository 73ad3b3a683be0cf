"""Child servers started in their own process group (gcloud starts java, gunicorn forks)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from typing import Any


def stop_group(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGTERM the whole group and wait until every member is gone, SIGKILL what lingers.

    Waiting for the leader alone is not enough: `gcloud` may exit while its java child still
    serves the port for a moment.
    """
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    if not _wait_group(process, timeout):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        _wait_group(process, timeout)


def _wait_group(process: subprocess.Popen[Any], timeout: float) -> bool:
    """True once the leader is reaped and no member of its group is left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.poll()  # reaps the leader, so that it does not linger as a zombie
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False
