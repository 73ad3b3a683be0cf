"""Per-instance caps on the messages a deployment sends: at most MISSED_CALL_REPLY_MAX_PER_HOUR
automatic replies and OPERATOR_NOTIFY_MAX_PER_HOUR operator notices per instance in any rolling
hour. Pure: the store reads and writes the send logs, the service asks here.

Each instance and kind of message has one send log: the times of its sends within the last hour
(never more than the cap). A send is allowed only while fewer than the cap lie within the hour
before now, and it is claimed by writing the log in the same atomic commit as the record,
conditional on the log being as read. So the count is exact for any rolling hour, across any
number of function instances: two deliveries that both read N-1 sends cannot both commit the Nth.
(Two fixed hour-slots weighted by overlap would only estimate the rolling hour: a burst at the
end of one slot and the start of the next could pass nearly twice the cap.)

The first refusal of an hour also writes the log (`cappedWarnedAt`), so the WARNING that names
the cap is logged once an hour per instance and kind, whichever function instance refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from call_logger.settings.config import Config

WINDOW = timedelta(hours=1)
REPLY = "reply"
NOTICE = "notice"
# The setting that caps each kind: what a capped record's `cappedBy` and the WARNING name.
SETTING = {REPLY: "MISSED_CALL_REPLY_MAX_PER_HOUR", NOTICE: "OPERATOR_NOTIFY_MAX_PER_HOUR"}
# Fields of a send log document.
SENT_AT = "sendTimes"
WARNED_AT = "cappedWarnedAt"


@dataclass(frozen=True)
class SendLog:
    """A send log as read; `version` is the store's opaque token for a conditional write."""

    version: Any
    sent_at: tuple[datetime, ...]
    warned_at: datetime | None = None


@dataclass(frozen=True)
class SendLogWrite:
    """Create the log (create=True) or replace its fields if `version` still holds."""

    key: str
    create: bool
    version: Any
    fields: dict[str, Any]


@dataclass(frozen=True)
class CapDecision:
    kind: str
    allowed: bool
    write: SendLogWrite | None  # commits with the record, or the decision does not hold
    warn: bool = False  # the hour's first refusal: a WARNING names the cap

    @property
    def setting(self) -> str:
        return SETTING[self.kind]


def log_key(instance_id: int, kind: str) -> str:
    """The send log's key: sendLogs/{idInstance}_{kind}."""
    return f"{instance_id}_{kind}"


def decide(
    instance_id: int, kind: str, log: SendLog | None, limit: int, now: datetime
) -> CapDecision:
    """Whether one more message of `kind` may go out for this instance at `now`, and the write
    that claims it (or that records the hour's first refusal)."""
    recent = sorted(at for at in (log.sent_at if log else ()) if now - at < WINDOW)
    key = log_key(instance_id, kind)
    base = {"instanceId": instance_id, "kind": kind}
    warned_at = log.warned_at if log else None

    def write(fields: dict[str, Any]) -> SendLogWrite:
        if log is None:
            return SendLogWrite(key, True, None, base | fields)
        return SendLogWrite(key, False, log.version, base | fields)

    if len(recent) < limit:
        return CapDecision(kind, True, write({SENT_AT: [*recent, now], WARNED_AT: warned_at}))
    if warned_at is None or now - warned_at >= WINDOW:
        return CapDecision(kind, False, write({SENT_AT: recent, WARNED_AT: now}), warn=True)
    return CapDecision(kind, False, None)


def wanted(can_send: bool, reply: bool, notice: bool) -> tuple[str, ...]:
    """The kinds of message a call may send, whose send logs are read with it: none when the
    call cannot send (no GREEN-API client, a call the business made)."""
    if not can_send:
        return ()
    return (REPLY,) * reply + (NOTICE,) * notice


def decide_all(
    instance_id: int,
    kinds: tuple[str, ...],
    logs: Mapping[str, SendLog],
    limits: Mapping[str, int],
    replying: bool,
    now: datetime,
) -> dict[str, CapDecision]:
    """Each wanted kind against its cap (`limits` by kind); the reply only when one is claimed
    (`replying`: the cooldown, its age and the hours allow it)."""
    return {
        kind: decide(instance_id, kind, logs.get(log_key(instance_id, kind)), limits[kind], now)
        for kind in kinds
        if kind != REPLY or replying
    }


def limits(settings: Config) -> dict[str, int]:
    """Each kind's cap under these settings (an instance's own, or the deployment's)."""
    return {REPLY: settings.reply_max_per_hour, NOTICE: settings.notify_max_per_hour}
