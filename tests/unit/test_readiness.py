"""What a getStateInstance answer means for the backfill after a deploy (core.readiness)."""

from __future__ import annotations

import pytest
from call_logger.core.readiness import after_answer

ID = 1101000001


def test_authorized_is_ready() -> None:
    step = after_answer(ID, "authorized", waited=3, bound=300)
    assert (step.done, step.ready) == (True, True)


@pytest.mark.parametrize("state", ["starting", "sleepMode", None, "someNewState"])
def test_a_restarting_or_silent_instance_is_waited_for_with_a_progress_line(
    state: str | None,
) -> None:
    step = after_answer(ID, state, waited=15, bound=300)
    assert (step.done, step.ready) == (False, False)
    assert "waiting (15 of 300 s)" in step.line
    assert str(ID) in step.line


def test_waiting_is_bounded() -> None:
    step = after_answer(ID, "starting", waited=301, bound=300)
    assert (step.done, step.ready) == (True, False)
    assert "still starting after 301 s" in step.line


@pytest.mark.parametrize(
    ("state", "advice"), [("notAuthorized", "QR code"), ("blocked", "support")]
)
def test_a_state_that_needs_a_person_stops_at_once(state: str, advice: str) -> None:
    step = after_answer(ID, state, waited=0, bound=300)
    assert (step.done, step.ready) == (True, False)
    assert advice in step.line
