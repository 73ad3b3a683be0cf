"""Mode x status -> label: the whole table, pure."""

from __future__ import annotations

import pytest
from call_logger.config import DEFAULT_LABELS, Mode
from call_logger.policy import label_for

STATUSES = ("offer", "pickUp", "hungUp", "missed", "declined", "someNewStatus")

EXPECTED: dict[Mode, dict[str, str | None]] = {
    Mode.ALL: {
        "offer": "Incoming call",
        "pickUp": "Answered call",
        "hungUp": "Dropped call",
        "missed": "Missed call",
        "declined": "Missed call",
        "someNewStatus": "Call",
    },
    Mode.RESULTS: {
        "offer": None,
        "pickUp": "Answered call",
        "hungUp": "Missed call",
        "missed": "Missed call",
        "declined": "Missed call",
        "someNewStatus": "Call",
    },
    Mode.OFFER: {"offer": "Incoming call"},
    Mode.IGNORE: {},
}


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("status", STATUSES)
def test_every_mode_and_status(mode: Mode, status: str) -> None:
    assert label_for(mode, status, DEFAULT_LABELS) == EXPECTED[mode].get(status)


def test_labels_are_overridable() -> None:
    labels = dict(DEFAULT_LABELS, missed="Пропущенный звонок")
    assert label_for(Mode.ALL, "declined", labels) == "Пропущенный звонок"
