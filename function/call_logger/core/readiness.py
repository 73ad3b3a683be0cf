"""Decisions of `python -m call_logger wait-ready`: is the instance ready for the backfill?

Pure: the command (cli.wait_ready) asks getStateInstance and sleeps; this says what answers mean.
setSettings restarts the instance (GREEN-API applies settings within minutes), so right after
`make deploy` points it at the webhook the instance answers `starting`, or a 4xx/5xx, for a while.
Only `authorized` serves the call journal the backfill reads. A state that needs a person (logged
out, banned) does not pass by waiting: say so at once instead of spending the whole bound.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTHORIZED = "authorized"
# What a person must do for each state that waiting does not fix (PROTOCOL.md, stateInstance).
NEEDS_A_PERSON = {
    "notAuthorized": "scan the QR code in the GREEN-API console",
    "blocked": "the number is banned: contact GREEN-API support",
    "yellowCard": "sending is restricted: wait, then check the console",
    "suspended": "sending is restricted: wait, then check the console",
}


@dataclass(frozen=True)
class Step:
    """What to do after one answer: done (ready or not), and the line to print."""

    done: bool
    ready: bool
    line: str


def after_answer(instance_id: int, state: str | None, waited: float, bound: float) -> Step:
    """One getStateInstance answer (None: the request failed) after `waited` of `bound` seconds."""
    shown = state if state is not None else "not answering"
    if state == AUTHORIZED:
        return Step(True, True, f"instance {instance_id} is authorized")
    if state in NEEDS_A_PERSON:
        return Step(True, False, f"instance {instance_id} is {state}: {NEEDS_A_PERSON[state]}")
    if waited >= bound:
        return Step(True, False, f"instance {instance_id} is still {shown} after {waited:.0f} s")
    # starting, sleepMode, an unknown state or a failed request: the restart is under way.
    return Step(
        False, False, f"instance {instance_id} is {shown}; waiting ({waited:.0f} of {bound:.0f} s)"
    )
