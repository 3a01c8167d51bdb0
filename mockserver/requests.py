"""An API request as a profile sees it (`Call`), and reading a request body within a limit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Receive, Scope

from credkit_core.fixtures.loader import ApiKey
from mockserver.routing import Operation

__all__ = ["Call", "read_body", "route_path"]


@dataclass(slots=True)
class Call:
    """One API request as a profile's pipeline sees it; the steps fill in the rest."""

    method: str
    path: str
    query: bytes
    headers: Mapping[bytes, bytes]
    body: bytes
    operation: Operation | None = None
    params: dict[str, str] = field(default_factory=dict)
    key: ApiKey | None = None
    json: dict[str, Any] | None = None
    raw_path: bytes = b""  # the path as sent, percent-encoding included (ASGI raw_path)
    header_list: tuple[tuple[bytes, bytes], ...] = ()  # every header in order, duplicates kept

    def rewind(self) -> None:
        """Back to the request as it came, before a profile's run filled in the rest (a store
        that runs the profile again on fresher data starts it from here)."""
        self.operation = None
        self.params = {}
        self.key = None
        self.json = None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to exceed `limit` (never buffered past it).
    `ConnectionAbortedError` when the client went away."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                if int(value) > limit:
                    return None
            except ValueError:
                pass
            break
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError
        chunk = message.get("body", b"")
        if chunk:
            total += len(chunk)
            if total > limit:
                return None
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def route_path(scope: Scope) -> str:
    """The request path below where the mock is mounted (`root_path`), as Starlette's routing
    reads it: `/api/v1/ping` for `/flowise/api/v1/ping` under `Mount("/flowise", ...)`."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path
