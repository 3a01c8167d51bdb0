"""The spec documents the mock serves, as an ASGI app: `/openapi.yaml`, `/openapi.json` (the
credentials API) and `/__admin/openapi.yaml` (the admin API).

The YAML is the bundled file as shipped. Under a base path (`--base-path /flowise`) the served
documents' `servers` entry is that path instead of `/`, so a client generated from them, and the
`/docs` page's "Try it out", send their requests to the prefixed API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from credkit_core.resources import ADMIN_SPEC, CREDENTIALS_SPEC
from mockserver.requests import route_path
from mockserver.responses import JSON, Reply, error_reply, send_reply
from mockserver.runtime import Runtime

__all__ = ["SERVERS_YAML", "SpecDocuments", "answer_get", "mount_root"]

YAML = b"application/yaml"
# How the bundled documents declare their server; replaced by the base path when there is one.
SERVERS_YAML = b"servers:\n  - url: /\n"


def mount_root(scope: Scope) -> str:
    """Where the mock is mounted (`/flowise` under `--base-path /flowise`; else empty)."""
    root: str = scope.get("root_path", "")
    return root.rstrip("/")


async def answer_get(
    runtime: Runtime, scope: Scope, send: Send, answer: Callable[[str, str], Reply]
) -> None:
    """Answer a GET/HEAD with `answer(path, mount root)` (405 for any other method), logged
    like every other request: the documents and the docs page are served this way."""
    started = time.perf_counter()
    path = route_path(scope)
    if scope["method"] not in ("GET", "HEAD"):
        reply = error_reply(405, "Method not allowed; allowed: GET.", ((b"allow", b"GET"),))
    else:
        reply = answer(path, mount_root(scope))
    await send_reply(send, reply)
    elapsed = (time.perf_counter() - started) * 1000
    runtime.access_log.write(scope["method"], path, reply.status, elapsed)


def _yaml(source: bytes, root: str) -> bytes:
    if not root:
        return source
    if source.count(SERVERS_YAML) != 1:
        raise RuntimeError(f"The bundled spec must declare {SERVERS_YAML!r} exactly once.")
    return source.replace(SERVERS_YAML, f"servers:\n  - url: {root}\n".encode())


class SpecDocuments:
    """Serves the bundled specs as shipped (YAML) or as JSON; GET and HEAD only (else 405)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._docs: dict[tuple[str, str], tuple[bytes, bytes]] = {}

    def document(self, path: str, root: str = "") -> tuple[bytes, bytes]:
        """(body, content type) of a served document under the mount point `root`, built once."""
        key = (path, root)
        if key not in self._docs:
            if path.startswith("/__admin/"):
                self._docs[key] = (_yaml(ADMIN_SPEC.read_bytes(), root), YAML)
            elif path.endswith(".yaml"):
                self._docs[key] = (_yaml(CREDENTIALS_SPEC.read_bytes(), root), YAML)
            else:
                document: dict[str, Any] = self.runtime.document
                if root:
                    document = {**document, "servers": [{"url": root}]}
                self._docs[key] = (orjson.dumps(document), JSON)
        return self._docs[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await answer_get(
            self.runtime, scope, send, lambda path, root: Reply(200, *self.document(path, root))
        )
