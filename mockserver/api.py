"""The credentials API as an ASGI app: every request that is not for the admin API or a spec
document (the router's default, so every path, however odd, gets an error-shaped answer).

In order: the body, read with the size limit counted while it streams (413) → injected faults
→ `--latency` → the profile (`mockserver.profile.Profile`) → with `--state-file`, the shared
durable point (group commit: the answer waits until every change so far is fsynced). One
access-log line and one journal entry per request. Paths are relative to where the mock is
mounted (`root_path`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from typing import Any

from starlette.types import Receive, Scope, Send

from credkit_core.errors import StateFileError
from mockserver.backend import Backend, MemoryBackend, Restart
from mockserver.journal import JournalEntry
from mockserver.persistence import StateFile
from mockserver.profile import Profile
from mockserver.requests import Call, read_body, route_path
from mockserver.responses import ApiError, Reply, error_reply, send_reply
from mockserver.state import AppState

__all__ = ["ApiApp"]

log = logging.getLogger("credkit")
RESTARTS = 5  # times one request starts again (`Restart`) before it answers 503


class ApiApp:
    """The API's ASGI app: `profile` answers what passed the body limit and the faults."""

    def __init__(self, state: AppState, profile: Profile, backend: Backend | None = None) -> None:
        self.state = state
        self.profile = profile
        self.backend: Backend = backend or MemoryBackend(state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        state = self.state
        method: str = scope["method"]
        path = route_path(scope)
        call: Call | None = None
        ticket: Any = None  # from `begin`; None: not reached
        try:
            body = await read_body(scope, receive, state.config.max_body)
        except ConnectionAbortedError:
            return
        if body is None:
            reply = error_reply(
                413,
                f"Request body is larger than the limit of {state.config.max_body} bytes.",
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
                    state.access_log.write(method, path, exc.status, 0.0)
                    return
                if fault is not None and fault.latency_ms:
                    await asyncio.sleep(fault.latency_ms / 1000)
                if state.config.latency_ms and not slept:
                    slept = True
                    await asyncio.sleep(state.config.latency_ms / 1000)
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
                    reply = await self.answer(call, ticket)
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
        state.access_log.write(method, path, reply.status, elapsed)

    async def answer(self, call: Call, ticket: Any) -> Reply:
        """The profile's answer to `call` through the backend; with `--state-file`, once it is
        durable. `Restart` from the backend goes through (nothing was changed)."""
        persistence = self.state.persistence
        mark = persistence.written if persistence is not None else 0
        try:
            reply = await self.backend.handle(self.profile.handle, call, ticket)
        except Restart:
            raise
        except ApiError as exc:
            reply = exc.reply()
        except StateFileError as exc:  # the change was refused: nothing changed
            reply = error_reply(503, str(exc))
        except Exception as exc:
            # The type and the frames, never the message: it could quote a body value.
            log.error(
                "Unhandled %s in %s %s:\n%s",
                type(exc).__name__,
                call.method,
                call.path,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            reply = error_reply(500, "Internal error in the mock server (a bug; see its log).")
        if persistence is not None and persistence.synced < persistence.written:
            reply = await self.durable(persistence, reply, persistence.written != mark)
        return reply

    @staticmethod
    async def durable(persistence: StateFile, reply: Reply, changed: bool) -> Reply:
        """`reply` once every change so far is on disk (what the request made or could have
        read; a group commit shared with concurrent requests); 503 when the request's own
        change cannot be saved."""
        try:
            await persistence.durable()
        except StateFileError as exc:
            if changed:
                return error_reply(503, str(exc))
        return reply
