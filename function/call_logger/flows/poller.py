"""Polling instead of a webhook: receiveNotification, the webhook's core, deleteNotification.

An item is deleted only where the webhook would have answered 200: a type we do not handle at
once, an incomingCall once CallService.handle returned an Outcome (the record is durably
written, or it is a duplicate, skipped or kept in `rejected`), and an item without a JSON object
body once it is kept in `rejected` (GREEN-API's queue is FIFO and hands back the same head item
until it is deleted, so an item we refuse to delete blocks every item behind it).

Storage trouble (StorageUnavailable) and GREEN-API trouble (GreenApiError) leave the item in the
queue and back off; the next receiveNotification returns the same item, so nothing is lost.

Instance check: the webhook answers 403 to a body of another instance, because anyone may post
to a URL. A polled item comes from our own instance's queue, fetched with our token, so it is
processed whatever its instanceData says (the record keys use the body's idInstance, as always).

Several instances (GREEN_API_INSTANCES): poll_instances runs one Poller per instance, each in its
own thread with its own client. A long poll of one instance never waits for another's, a failing
instance backs off alone, and each loop deletes only receipts of its own queue.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from call_logger.core.envelope import (
    IGNORED,
    STATE_INSTANCE_CHANGED,
    event_of,
    is_tracked,
    level_for,
    log_fields,
    notification_type,
)
from call_logger.green_api import GreenApiError, Notification
from call_logger.settings.limits import DEFAULT_RECEIVE_TIMEOUT, RECEIVE_TIMEOUT_RANGE
from call_logger.settings.logs import annotate, request_context
from call_logger.stores.base import StorageUnavailable

if TYPE_CHECKING:
    from call_logger.flows.shared import Outcome
    from call_logger.settings.instances import Instance

log = logging.getLogger(__name__)

# With --once a scheduled job gives up after this many failures in a row (the item stays queued).
ONCE_MAX_ATTEMPTS = 5
# How often a waiting main thread looks at the stop flag while a receive is in flight.
STOP_CHECK_INTERVAL = 0.1

EXIT_OK, EXIT_GAVE_UP = 0, 1


class NotificationQueue(Protocol):
    """The two GREEN-API methods the poller uses (green_api.GreenApiClient provides them)."""

    def receive_notification(self, receive_timeout: int) -> Notification | None: ...

    def delete_notification(self, receipt_id: int) -> bool: ...


class CallHandler(Protocol):
    """What the poller needs of service.CallService."""

    def handle(self, body: dict[str, Any], raw: bytes) -> Outcome: ...

    def record_state(self, body: dict[str, Any], raw: bytes) -> Outcome: ...

    def reject(self, body: object, raw: bytes, reason: str) -> Outcome: ...


@dataclass(frozen=True)
class Backoff:
    """Capped exponential: initial, 2 * initial, ... up to cap seconds."""

    initial: float = 1.0
    cap: float = 60.0

    def delay(self, failures: int) -> float:
        """The pause after `failures` (>= 1) failures in a row."""
        return float(min(self.cap, self.initial * 2 ** min(failures - 1, 32)))


class _Stopped(Exception):
    """The stop flag was set while a receive was in flight."""


class Poller:
    def __init__(
        self,
        queue: NotificationQueue,
        service: CallHandler,
        *,
        receive_timeout: int = DEFAULT_RECEIVE_TIMEOUT,
        stop: threading.Event | None = None,
        sleep: Callable[[float], object] | None = None,
        backoff: Backoff = Backoff(),
        max_attempts: int = ONCE_MAX_ATTEMPTS,
        name: str = "",
    ) -> None:
        """`name`: the instance, prefixed to every log line when several are polled."""
        low, high = RECEIVE_TIMEOUT_RANGE
        if not low <= receive_timeout <= high:
            raise ValueError(f"receive_timeout must be {low} to {high} s")
        self._queue = queue
        self._service = service
        self._receive_timeout = receive_timeout
        self._stop = stop if stop is not None else threading.Event()
        # Default: a pause that a stop cuts short. Tests pass one that only records.
        self._sleep = sleep if sleep is not None else self._stop.wait
        self._backoff = backoff
        self._max_attempts = max_attempts
        self._log: logging.Logger | logging.LoggerAdapter[logging.Logger] = (
            _Prefixed(log, {"prefix": f"instance {name}: "}) if name else log
        )

    def run(self, *, once: bool = False) -> int:
        """Poll until the stop flag is set (EXIT_OK). once: until the queue is empty (EXIT_OK),
        or until max_attempts failures in a row (EXIT_GAVE_UP, the item stays queued)."""
        failures = 0
        while not self._stop.is_set():
            try:
                self._step(once)
            except _Stopped:
                break
            except _QueueEmpty:
                return EXIT_OK
            except _Failed as failure:
                failures += 1
                if once and failures >= self._max_attempts:
                    self._log.error("giving up after %d attempts in a row: %s", failures, failure)
                    return EXIT_GAVE_UP
                delay = self._backoff.delay(failures)
                self._log.warning("%s; trying again in %g s", failure, delay)
                self._sleep(delay)
                continue
            failures = 0
        self._log.info("stopped")
        return EXIT_OK

    def _step(self, once: bool) -> None:
        """Receive one item, process it, delete it. Raises _Failed to back off."""
        try:
            item = self._receive()
        except GreenApiError as error:
            raise _Failed(f"receiveNotification failed: {error}") from None
        if item is None:
            if once:
                raise _QueueEmpty
            return  # an empty queue just means: poll again
        kind = _kind(item)
        with request_context(receipt=item.receipt_id) as fields:
            self._handle(item, kind, fields)

    def _handle(self, item: Notification, kind: str, fields: dict[str, Any]) -> None:
        """Process one received item and delete it; its line carries the webhook's fields."""
        started = time.perf_counter()
        try:
            outcome = self._process(item)
        except StorageUnavailable as error:
            raise _Failed(
                f"receipt {item.receipt_id} {kind}: storage unavailable, left in the queue: {error}"
            ) from None
        except Exception as error:
            # As the webhook's 503: an unknown failure is treated as a passing one.
            self._log.exception("receipt %s %s failed", item.receipt_id, kind)
            raise _Failed(
                f"receipt {item.receipt_id} {kind}: failed, left in the queue: {error}"
            ) from None
        try:
            deleted = self._queue.delete_notification(item.receipt_id)
        except GreenApiError as error:
            # It comes back at the head of the queue and is processed again: a duplicate.
            raise _Failed(f"receipt {item.receipt_id} {kind}: {outcome}, {error}") from None
        gone = "" if deleted else " (was already deleted)"
        annotate(outcome=outcome)
        self._log.log(
            level_for(fields, None),
            "receipt %s %s: %s%s",
            item.receipt_id,
            kind,
            outcome,
            gone,
            extra={
                "event": event_of(fields),
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    def _process(self, item: Notification) -> str:
        body = item.body
        if not isinstance(body, dict):
            if "body" not in item.item:
                reason = "the queued item has no body"
            else:
                reason = f"the queued item's body is {_json_type(body)}, not a JSON object"
            raw = json.dumps(item.item, ensure_ascii=False).encode()
            return self._service.reject(item.item, raw, reason).value
        kind = notification_type(body)
        annotate(**log_fields(body))
        # Outgoing messages go to the service too, which skips them without CALLBACK_BY_MESSAGE.
        if not is_tracked(kind, callback_by_message=True) and kind != STATE_INSTANCE_CHANGED:
            annotate(event=IGNORED)
            return "ignored"
        # The webhook has the body's bytes; here it is the JSON text of the parsed body (either
        # way `rejected` keys it by content, so one body is kept once).
        raw = json.dumps(body, ensure_ascii=False).encode()
        if kind == STATE_INSTANCE_CHANGED:
            return self._service.record_state(body, raw).value
        return self._service.handle(body, raw).value

    def _receive(self) -> Notification | None:
        """receiveNotification in a worker thread, so that a stop need not wait out the long
        poll. An item received after the stop is dropped undeleted: it stays in the queue."""
        done = threading.Event()
        result: list[Notification | None] = []
        failure: list[BaseException] = []

        def receive() -> None:
            try:
                result.append(self._queue.receive_notification(self._receive_timeout))
            except BaseException as error:
                failure.append(error)
            finally:
                done.set()

        threading.Thread(target=receive, name="receive-notification", daemon=True).start()
        while not done.wait(STOP_CHECK_INTERVAL):
            if self._stop.is_set():
                raise _Stopped
        if failure:
            raise failure[0]
        return result[0]


class _QueueEmpty(Exception):
    pass


class _Failed(Exception):
    """A step that left its item in the queue; the message says why (never the token)."""


def _kind(item: Notification) -> str:
    body = item.body
    if isinstance(body, dict):
        return notification_type(body) or "(no typeWebhook)"
    return "(no body)" if "body" not in item.item else f"({_json_type(body)} body)"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else type(value).__name__


class _Prefixed(logging.LoggerAdapter):
    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        assert self.extra is not None
        return f"{self.extra['prefix']}{msg}", kwargs


def poll_instances(
    instances: Sequence[Instance],
    clients: Callable[[int], NotificationQueue | None],
    service: CallHandler,
    *,
    receive_timeout: int = DEFAULT_RECEIVE_TIMEOUT,
    stop: threading.Event,
    once: bool = False,
) -> int:
    """Poll every instance's queue until `stop` (or, once: until each queue is empty). One
    instance is polled in this thread; several each in a thread of their own. EXIT_GAVE_UP if
    any loop gave up."""
    pollers = []
    for instance in instances:
        queue = clients(instance.id)
        if queue is None:
            raise ValueError(f"instance {instance.id} has no GREEN-API client")
        log.info(
            "polling instance %s at %s%s",
            instance.name,
            instance.api_url,
            " until the queue is empty" if once else "",
        )
        name = instance.name if len(instances) > 1 else ""
        pollers.append(
            Poller(queue, service, receive_timeout=receive_timeout, stop=stop, name=name)
        )
    if len(pollers) == 1:
        return pollers[0].run(once=once)
    codes = [EXIT_OK] * len(pollers)

    def run(index: int) -> None:
        codes[index] = pollers[index].run(once=once)

    threads = [
        threading.Thread(target=run, args=(index,), name=f"poll-{instance.id}", daemon=True)
        for index, instance in enumerate(instances)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A bounded join, so that the main thread keeps running signal handlers (the stop).
        while thread.is_alive():
            thread.join(STOP_CHECK_INTERVAL)
    return max(codes)
