"""The call-back lines of the text report (`calls report`). Pure."""

from __future__ import annotations

from call_logger.core.dates import duration
from call_logger.core.report import Figures


def callback_lines(figures: Figures) -> list[str]:
    """'Called back within 1 h: 80% (4 of 5); typically after 25 min, 9 in 10 within 50 min',
    'Called again by themselves before a call back: 1', 'Past the 1 h target: 2 waiting'."""
    found = figures.callbacks
    target = duration(found.target.total_seconds())
    if found.within_target_rate is None:
        lines = [f"Called back within {target}: no call-back to measure"]
    else:
        lines = [
            f"Called back within {target}: {found.within_target_rate:.0%} "
            f"({found.within_target} of {found.decided})"
        ]
    if found.seconds_median is not None and found.seconds_p90 is not None:
        lines[0] += (
            f"; typically after {duration(found.seconds_median)}, "
            f"9 in 10 within {duration(found.seconds_p90)}"
        )
    lines.append(f"Called again by themselves before a call back: {found.called_again_first}")
    lines.append(f"Past the {target} target: {len(found.past_target) or 'nobody'} waiting")
    return lines
