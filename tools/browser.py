"""Draw an HTML file with Debian's headless chromium, for `make report-screenshot` and the report's
browser test. `make` installs chromium (apt-get, as root) when it is missing."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

# A phone's CSS width (iPhone 12-15, most Android phones are 360-412).
PHONE_WIDTH = 390


MISSING = "chromium is not installed: `make` installs it as root (apt-get install chromium)"


def chromium() -> str | None:
    """The browser's path, None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(page: Path, png: Path, width: int = PHONE_WIDTH, height: int = 1600) -> None:
    """The page as the browser draws it at `width` x `height` CSS pixels, 1 device pixel each."""
    browser = chromium()
    if browser is None:
        raise RuntimeError(MISSING)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",  # root in containers; the page is our own file
                "--disable-gpu",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={png}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def dom(page: Path, width: int = PHONE_WIDTH, height: int = 1600) -> str:
    """The page's DOM after the browser has laid it out and run its scripts, at `width`."""
    browser = chromium()
    if browser is None:
        raise RuntimeError(MISSING)
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--virtual-time-budget=2000",
                "--dump-dom",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
    return done.stdout
