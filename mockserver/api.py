"""The credentials API as an ASGI app: every request that is not for the admin API or a spec
document (the router's default, so every path, however odd, gets an error-shaped answer).

In order: the body, read with the size limit counted while it streams (413) → injected faults
→ `--latency` → the profile (`mockserver.profile.Profile`), through the store
(`mockserver.backend.Backend`: it gives the profile the request's namespace and, with
`--state-file`, answers once the change is durable). One access-log line and one journal entry
per request. Paths are relative to where the mock is mounted (`root_path`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.types import Receive, Scope, Send

from mockserver.backend import Backend, Restart
from mockserver.journal import JournalEntry
from mockserver.profile import Profile
from mockserver.requests import Call, read_body, route_path
from mockserver.responses import ApiError, Reply, error_reply, send_reply
from mockserver.runtime import Runtime

__all__ = ["ApiApp"]

RESTARTS = 5  # times one request starts again (`Restart`) before it answers 503


class ApiApp:
    """The API's ASGI app: `profile` answers what passed the body limit and the faults."""

    def __init__(self, runtime: Runtime, profile: Profile, backend: Backend) -> None:
        self.runtime = runtime
        self.profile = profile
        self.backend = backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        runtime = self.runtime
        config = runtime.config
        method: str = scope["method"]
        path = route_path(scope)
        call: Call | None = None
        ticket: Any = None  # from `begin`; None: not reached
        try:
            body = await read_body(scope, receive, config.max_body)
        except ConnectionAbortedError:
            return
        if body is None:
            reply = error_reply(
                413,
                f"Request body is larger than the limit of {config.max_body} bytes.",
                ((b"connection", b"close"),),
            )
            body_len = -1
        else:
            body_len = len(body)
            slept = False
            for _ in range(RESTARTS):
                try:
                    fault, ticket = await self.backend.begin(method, path)
                except ApiError as exc:  # the shared store is unavailable: 503
                    await send_reply(send, exc.reply())
                    runtime.access_log.write(method, path, exc.status, 0.0)
                    return
                if fault is not None and fault.latency_ms:
                    await asyncio.sleep(fault.latency_ms / 1000)
                if config.latency_ms and not slept:
                    slept = True
                    await asyncio.sleep(config.latency_ms / 1000)
                if fault is not None and fault.status is not None:
                    injected = f"Injected fault {fault.id} ({fault.status})."
                    reply = error_reply(fault.status, injected)
                    if fault.status in (204, 304):
                        reply = Reply(fault.status, b"")
                    break
                headers = tuple(scope["headers"])  # one copy: the call's and the journal's
                call = Call(method, path, scope["query_string"], dict(headers), body)
                call.raw_path = scope.get("raw_path") or b""
                call.header_list = headers
                try:
                    reply = await self.backend.handle(self.profile.handle, call, ticket)
                except Restart:  # another process changed the namespace or its faults: again
                    continue
                break
            else:
                reply = error_reply(
                    503,
                    f"{method} {path} found the namespace changed by other requests "
                    f"{RESTARTS} times in a row; retry it.",
                )
        await send_reply(send, reply)
        elapsed = (time.perf_counter() - started) * 1000
        await self.backend.record(
            JournalEntry(
                time.time(),
                method,
                path,
                scope["query_string"],
                reply.status,
                elapsed,
                call.header_list if call is not None else tuple(scope["headers"]),
                call.json if call is not None else None,
                body_len,
                reply.body,
            ),
            ticket,
        )
        runtime.access_log.write(method, path, reply.status, elapsed)
