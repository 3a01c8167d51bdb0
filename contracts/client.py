"""The suite's own HTTP client: rate-limited, id-guarded, and recording every exchange.

Every response passes through the observers (secret scanning, error-shape recording) and every
successful create is tracked for cleanup. A request whose path names a credential id the run did
not create (and that is not a `credkit-absent-...` id) is refused before it is sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts.config import VerifyConfig
from contracts.safety import IdTracker, Made, curl

__all__ = [
    "RETRIES",
    "Api",
    "Exchange",
    "NoAnswer",
    "RateLimiter",
    "SafetyError",
    "Unreachable",
    "retry_delay",
]

CREDENTIALS = "/api/v1/credentials"
RETRIES = 6  # a 429 is waited out and retried this many times before it is shown


class SafetyError(RuntimeError):
    """The suite was about to touch something it did not create (a bug in the suite)."""


class Unreachable(RuntimeError):
    """The server could not be reached (connection refused, DNS, TLS, connect timeout)."""


class NoAnswer(RuntimeError):
    """A request was sent and no answer came within `--timeout`: a defect of the server (the
    request is in `exchange`, its status 0), not a reason to stop the run."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.exchange: Exchange | None = None


class RateLimiter:
    """At most `rate` request starts per second across all threads (None = unlimited)."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        delay = start - now
        if delay > 0:
            time.sleep(delay)


@dataclass(slots=True)
class Exchange:
    """One request and its answer, as the suite saw them."""

    method: str
    path: str
    url: str
    role: str | None
    status: int
    headers: httpx.Headers
    content: bytes
    body: Any = None
    request_body: Any = None
    request_raw: bytes | None = None
    content_type: str | None = None
    scheme: str = "Bearer"
    extra_headers: dict[str, str] = field(default_factory=dict)
    insecure: bool = False
    made: Made | None = None  # the run-created credential the path names, if any

    @property
    def operation(self) -> str:
        return f"{self.method} {template(self.path)}"

    def curl(self, *, setup: bool = True) -> str:
        """The reproduction; `setup=False` leaves out the stand-in's creation (for a command
        that follows one that has it)."""
        return curl(
            self.method,
            self.url,
            role=self.role,
            scheme=self.scheme,
            body=self.request_body,
            raw_body=self.request_raw,
            content_type=self.content_type,
            headers=self.extra_headers,
            insecure=self.insecure,
            made=self.made,
            setup=setup,
        )


def path_id(path: str) -> str | None:
    """The credential id a path names (`/api/v1/credentials/<id>`), or None."""
    if not path.startswith(CREDENTIALS + "/"):
        return None
    return path[len(CREDENTIALS) + 1 :].split("?", 1)[0] or None


def template(path: str) -> str:
    """`/api/v1/credentials/abc` → `/api/v1/credentials/{id}` (for naming operations)."""
    if path.startswith(CREDENTIALS + "/") and path.count("/") == 4:
        return CREDENTIALS + "/{id}"
    if path.startswith("/api/v1/components-credentials/"):
        return "/api/v1/components-credentials/{name}"
    return path.split("?", 1)[0]


_NO_BODY = object()


def retry_delay(value: str | None, attempt: int = 0) -> float:
    """Seconds to wait before retrying a 429: its `Retry-After` (0.1-10 s), or without one
    0.25 s doubling with each attempt."""
    try:
        waited = float(value) if value else min(10.0, 0.25 * 2.0**attempt)
    except ValueError:
        waited = min(10.0, 0.25 * 2.0**attempt)
    return min(10.0, max(0.1, waited))


class Api:
    """Talks to the server under test on behalf of the checks."""

    def __init__(
        self,
        config: VerifyConfig,
        tracker: IdTracker,
        *,
        limiter: RateLimiter | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.tracker = tracker
        self.limiter = limiter or RateLimiter(config.requests_per_second)
        self.observers: list[Callable[[Exchange], None]] = []
        self.last: Exchange | None = None  # the latest answered exchange
        self._client = httpx.Client(
            timeout=config.timeout,
            verify=config.verify_tls,
            headers=dict(config.headers),
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def url(self, path: str) -> str:
        return self.config.base_url + path

    def _guard(self, path: str) -> None:
        credential_id = path_id(path)
        if credential_id and not self.tracker.is_safe_target(credential_id):
            raise SafetyError(
                f"refusing to touch credential {credential_id!r}: not created by this run"
            )

    def _send(
        self, method: str, path: str, content: bytes | None, headers: dict[str, str]
    ) -> httpx.Response:
        """Send, waiting out a 429 (Retry-After, at most 10 s, RETRIES times): a rate limiter in
        front of the server is not the server's contract."""
        for attempt in range(RETRIES + 1):
            self.limiter.wait()
            try:
                response = self._client.request(
                    method, self.url(path), content=content, headers=headers
                )
            except (httpx.ReadTimeout, httpx.WriteTimeout) as exc:
                raise NoAnswer(
                    f"{method} {self.url(path)}: no answer within {self.config.timeout:g}s"
                ) from exc
            except httpx.RemoteProtocolError as exc:  # the connection closed without an answer
                raise NoAnswer(
                    f"{method} {self.url(path)}: the connection closed without an answer ({exc})"
                ) from exc
            except httpx.HTTPError as exc:
                raise Unreachable(
                    f"{method} {self.url(path)}: {type(exc).__name__}: {exc}"
                ) from exc
            if response.status_code != 429 or attempt == RETRIES:
                return response
            time.sleep(retry_delay(response.headers.get("retry-after"), attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def request(
        self,
        method: str,
        path: str,
        *,
        role: str | None = "full",
        json_body: Any = _NO_BODY,
        content: bytes | None = None,
        content_type: str | None = None,
        scheme: str = "Bearer",
        key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        """Send one request. `role` picks the key; `key` overrides it (e.g. a wrong key)."""
        self._guard(path)
        made = self.tracker.made(path_id(path))
        send_headers: dict[str, str] = dict(headers or {})
        used_key = key if key is not None else (self.config.key_for(role) if role else None)
        if used_key is not None:
            send_headers["Authorization"] = f"{scheme} {used_key}".strip()
        request_body: Any = None
        if json_body is not _NO_BODY:
            request_body = json_body
            content = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if content_type is not None:
            send_headers["Content-Type"] = content_type
        extra = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
        if key is not None:  # a made-up key (never a real one): show it as sent
            extra["Authorization"] = send_headers["Authorization"]

        def exchange_of(status: int, headers: httpx.Headers, raw: bytes, body: Any) -> Exchange:
            return Exchange(
                method=method,
                path=path,
                url=self.url(path),
                role=role if key is None else None,
                status=status,
                headers=headers,
                content=raw,
                body=body,
                request_body=request_body,
                request_raw=None if request_body is not None else content,
                content_type=content_type,
                scheme=scheme,
                extra_headers=extra,
                insecure=self.config.insecure,
                made=made,
            )

        try:
            response = self._send(method, path, content, send_headers)
        except NoAnswer as exc:  # the request as sent, status 0: a finding, not an abort
            exc.exchange = exchange_of(0, httpx.Headers(), b"", None)
            raise
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        exchange = exchange_of(response.status_code, response.headers, response.content, body)
        if (
            method == "POST"
            and path == CREDENTIALS
            and response.status_code == 200
            and isinstance(body, dict)
            and isinstance(body.get("id"), str)
        ):
            self.tracker.add(body["id"], role or "full", body=request_body)
        if method == "DELETE" and response.status_code == 200:
            self.tracker.deleted(path.rsplit("/", 1)[-1])
        self.last = exchange
        for observe in self.observers:
            observe(exchange)
        return exchange

    def answers(self) -> bool:
        """Whether the server still answers (`GET /api/v1/ping`, no key, one try)."""
        try:
            self._client.request("GET", self.url("/api/v1/ping"))
        except httpx.HTTPError:
            return False
        return True
