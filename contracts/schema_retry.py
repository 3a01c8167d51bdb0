"""429 answers in the schemathesis phase: waited out and retried before any check sees them.

A rate limiter in front of a correct server is not the server's contract; the suite's own
client (`contracts.client.Api`) already waits out 429s, and while schemathesis runs its
transport does the same (`retrying_429`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from contracts.client import RETRIES, retry_delay

__all__ = ["retrying_429"]


@contextmanager
def retrying_429() -> Iterator[None]:
    """While active, schemathesis' requests transport retries a 429 (as `Api` does)."""
    from schemathesis.transport import requests as transport

    original = transport._request

    def request(session: Any, data: dict[str, Any], max_stream_events: int) -> Any:
        for attempt in range(RETRIES + 1):
            response = original(session, data, max_stream_events)
            if response.status_code != 429 or attempt == RETRIES:
                return response
            time.sleep(retry_delay(response.headers.get("retry-after"), attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    transport._request = request
    try:
        yield
    finally:
        transport._request = original
