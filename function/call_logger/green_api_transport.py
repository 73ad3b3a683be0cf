"""How the GREEN-API client talks HTTP: which methods are retried and how, and the bound on a
whole call. Kept beside green_api.py so that the client reads as the API's methods.

Only idempotent calls (GET/DELETE) are retried, by urllib3's Retry, on connection errors and
500/502/503/504. 429 is never retried inline (GREEN-API rate limits are per second per
instance; hammering makes it worse). POSTs are never retried, including getContactInfo.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

if TYPE_CHECKING:
    from urllib3.response import BaseHTTPResponse

T = TypeVar("T")

# GREEN-API methods that are safe to repeat; everything else goes through a no-retry adapter.
IDEMPOTENT_METHODS = (
    "getSettings",
    "getWebhooksCount",
    "getStateInstance",
    "receiveNotification",
    "deleteNotification",
)
RETRY_STATUSES = (500, 502, 503, 504)  # never 429


class CappedRetry(Retry):
    """urllib3 Retry that never retries 429 and caps the Retry-After sleep.

    Stock Retry retries 413/429/503 whenever a Retry-After header is present, even when the
    status is not in status_forcelist; a 429 must reach the caller instead.
    """

    RETRY_AFTER_STATUS_CODES = frozenset({503})
    MAX_RETRY_AFTER = 10.0

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.MAX_RETRY_AFTER)


def instance_session(prefix: str, *, backoff_factor: float) -> requests.Session:
    """A session for the URLs under `prefix` (one instance): the idempotent methods retried,
    every other method tried once."""
    retrying = CappedRetry(
        total=3,
        connect=3,
        read=1,  # a read timeout on receiveNotification already cost receiveTimeout
        status=3,
        other=0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "DELETE"}),
        backoff_factor=backoff_factor,
        respect_retry_after_header=True,
        raise_on_status=False,  # hand back the last 5xx so it becomes a GreenApiError
    )
    session = requests.Session()
    # Default: no retries at all (urllib3 would otherwise retry connect errors of POSTs).
    session.mount(f"{prefix}/", HTTPAdapter(max_retries=Retry(0, read=False)))
    idempotent = HTTPAdapter(max_retries=retrying)
    for method in IDEMPOTENT_METHODS:
        session.mount(f"{prefix}/{method}/", idempotent)
    return session


def within(
    budget: float,
    name: str,
    call: Callable[[], T],
    *,
    expected: type[Exception],
    unexpected: Callable[[Exception], Exception],
    late: Callable[[], Exception],
) -> T:
    """Run call() in a daemon thread and give up after `budget` seconds in total.

    requests' read timeout bounds each socket read, not the whole response, so a server
    that trickles bytes could hold a plain call far beyond the budget. A thread is the
    simplest bound that covers connect, headers and body. An abandoned worker ends on its
    own timeouts; its late result is dropped. An `expected` error is raised as it is; any other
    becomes unexpected(error) (the caller's message must not leak what the error holds); no
    answer in time raises late().
    """
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except expected as error:
            outcome.append((False, error))
        except Exception as error:  # a bug must not leak the token either
            outcome.append((False, unexpected(error)))

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    worker.join(budget)
    if not outcome:
        raise late()
    ok, value = outcome[0]
    if ok:
        return value
    raise value
