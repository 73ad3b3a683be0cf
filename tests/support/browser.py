"""The report's browser test: the browser or a skip saying how to get it, and the PNG it draws.

Where `make` cannot install chromium, tests that need it are skipped with the reason, except in
CI, where a missing browser fails them.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools import browser


def screenshot(page: Path, png: Path) -> None:
    """The page as the browser draws it at a phone's width, or skip (fail in CI) without one."""
    _need_browser()
    browser.screenshot(page, png)


def laid_out(page: Path) -> str:
    """The page's DOM after the browser laid it out at a phone's width and ran its scripts, or
    skip (fail in CI) without a browser."""
    _need_browser()
    return browser.dom(page)


def _need_browser() -> None:
    if browser.chromium() is None:
        message = f"{browser.MISSING}; install it yourself to run the browser tests"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    pixels: list[tuple[int, int, int]]  # row by row

    def count(self, colour: str) -> int:
        """Pixels of exactly this #rrggbb colour."""
        wanted = tuple(bytes.fromhex(colour.removeprefix("#")))
        return sum(1 for pixel in self.pixels if pixel == wanted)

    def column_is_blank(self, x: int, background: tuple[int, int, int]) -> bool:
        return all(self.pixels[y * self.width + x] == background for y in range(self.height))


def read_png(path: Path) -> Image:
    """An 8-bit RGB or RGBA, non-interlaced PNG (what chromium writes) as RGB pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat = 8, b""
    width = height = colour_type = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour_type in (2, 6) and interlace == 0, "unsupported PNG"
        elif kind == b"IDAT":
            idat += body
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int]] = []
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(
            raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels
        )
        pixels.extend((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, channels))
        previous = line
    return Image(width, height, pixels)


def _unfilter(kind: int, line: bytearray, previous: bytearray, step: int) -> bytearray:
    for i in range(len(line)):
        left = line[i - step] if i >= step else 0
        up = previous[i]
        corner = previous[i - step] if i >= step else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            estimate = left + up - corner
            near = min(
                (abs(estimate - left), 0, left),
                (abs(estimate - up), 1, up),
                (abs(estimate - corner), 2, corner),
            )
            line[i] = (line[i] + near[2]) & 0xFF
    return line
