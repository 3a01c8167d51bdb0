"""Namespaces: complete, isolated mock states selected by a path prefix.

`/ns/<name>/api/v1/...` and `/ns/<name>/__admin/...` reach the namespace `<name>` (names:
`[a-z0-9-]{1,63}`); every other path is the `default` namespace. A namespace is created from the
fixtures on first use, expires after `--namespace-ttl` seconds without a request, and at most
`--max-namespaces` exist at once (a new one beyond that is answered 429).

`NamespaceRouter` (pure ASGI, inside CORS) strips the prefix by moving it into `root_path`, so
everything below reads paths as before, and sets `current` for the backends.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.responses import error_reply, send_reply
from mockserver.space import DEFAULT, current

__all__ = ["DEFAULT", "NAME_RE", "NamespaceRouter", "current"]

NAME_RE = re.compile(r"[a-z0-9-]{1,63}")
PREFIX = "/ns/"


class NamespaceRouter:
    """`/ns/<name>/rest` → `rest` in namespace `<name>`; anything else → `default`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root: str = scope.get("root_path", "")
        path: str = scope["path"]
        below = path[len(root) :] if root and path.startswith(root) else path
        if not below.startswith(PREFIX):
            current.set(DEFAULT)
            await self.app(scope, receive, send)
            return
        name, _, _ = below[len(PREFIX) :].partition("/")
        if not NAME_RE.fullmatch(name):
            shown = name if len(name) <= 80 else name[:80] + "…"
            await send_reply(
                send,
                error_reply(
                    404,
                    f"No namespace {shown!r}: a namespace name is 1 to 63 characters "
                    "a-z, 0-9 or '-' (as in /ns/job-1234/api/v1/...).",
                ),
            )
            return
        current.set(name)
        scope = dict(scope)
        scope["root_path"] = root + PREFIX + name
        await self.app(scope, receive, send)
