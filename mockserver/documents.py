"""`/openapi.yaml` and `/openapi.json`: the credentials spec the mock serves, as an ASGI app."""

from __future__ import annotations

import time

import orjson
from starlette.types import Receive, Scope, Send

from credkit_core.resources import CREDENTIALS_SPEC
from mockserver.requests import route_path
from mockserver.responses import JSON, Reply, error_reply, send_reply
from mockserver.state import AppState

__all__ = ["SpecDocuments"]


class SpecDocuments:
    """Serves the bundled spec as shipped (YAML) or as JSON; GET and HEAD only (else 405)."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self._docs: dict[str, tuple[bytes, bytes]] = {}

    def document(self, path: str) -> tuple[bytes, bytes]:
        """(body, content type) of `/openapi.yaml` or `/openapi.json`, built once."""
        if path not in self._docs:
            if path.endswith(".yaml"):
                self._docs[path] = (CREDENTIALS_SPEC.read_bytes(), b"application/yaml")
            else:
                self._docs[path] = (orjson.dumps(self.state.document), JSON)
        return self._docs[path]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        path = route_path(scope)
        if scope["method"] not in ("GET", "HEAD"):
            reply = error_reply(405, "Method not allowed; allowed: GET.", ((b"allow", b"GET"),))
        else:
            reply = Reply(200, *self.document(path))
        await send_reply(send, reply)
        elapsed = (time.perf_counter() - started) * 1000
        self.state.access_log.write(scope["method"], path, reply.status, elapsed)
