"""Mode x status -> label: the whole table, pure."""

from __future__ import annotations

import pytest
from call_logger.core.policy import label_for
from call_logger.settings.config import DEFAULT_LABELS, Mode
from call_logger.settings.limits import canonical_status

from tests.support.label_table import STATUSES, expected_label


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize("status", STATUSES)
def test_every_mode_and_status(mode: Mode, status: str) -> None:
    label = label_for(mode, canonical_status(status), DEFAULT_LABELS)
    assert label == expected_label(mode.value, status)


def test_labels_are_overridable() -> None:
    labels = dict(DEFAULT_LABELS, missed="Пропущенный звонок")
    assert label_for(Mode.ALL, "declined", labels) == "Пропущенный звонок"
