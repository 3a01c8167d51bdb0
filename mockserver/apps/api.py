"""The credentials API as an ASGI app: every request that is not for the admin API or a spec
document (the router's default, so every path, however odd, gets an error-shaped answer).

In order: the body, read with the size limit counted while it streams (413) → injected faults
→ `--latency` → the profile (`mockserver.profile.Profile`), through the store
(`mockserver.stores.base.Backend`: it picks the request's namespace and fault, tries the
request again when it must, gives the profile the namespace and, with `--state-file`, answers
once the change is durable). One access-log line and one journal entry per request. Paths are
relative to where the mock is mounted (`root_path`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.types import Receive, Scope, Send

from mockserver.faults import Fault
from mockserver.journal import JournalEntry
from mockserver.profile import Profile
from mockserver.requests import Call, read_body, route_path
from mockserver.responses import ApiError, Reply, error_reply, send_reply
from mockserver.runtime import Runtime
from mockserver.stores.base import Backend

__all__ = ["ApiApp"]


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
        ticket: Any = None  # from the store's `exchange`; None: not reached
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

            async def attempt(fault: Fault | None, ticket: Any) -> Reply:
                """One try (the store may make more): the fault's latency and `--latency`
                (once), the fault's answer, or the profile's through the store."""
                nonlocal call, slept
                if fault is not None and fault.latency_ms:
                    await asyncio.sleep(fault.latency_ms / 1000)
                if config.latency_ms and not slept:
                    slept = True
                    await asyncio.sleep(config.latency_ms / 1000)
                if fault is not None and fault.status is not None:
                    if fault.status in (204, 304):
                        return Reply(fault.status, b"")
                    return error_reply(fault.status, f"Injected fault {fault.id} ({fault.status}).")
                headers = tuple(scope["headers"])  # one copy: the call's and the journal's
                call = Call(method, path, scope["query_string"], dict(headers), body)
                call.raw_path = scope.get("raw_path") or b""
                call.header_list = headers
                return await self.backend.handle(self.profile.handle, call, ticket)

            try:
                reply, ticket = await self.backend.exchange(method, path, attempt)
            except ApiError as exc:  # cannot begin (store unavailable, too many namespaces)
                await send_reply(send, exc.reply())
                runtime.access_log.write(method, path, exc.status, 0.0)
                return
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
