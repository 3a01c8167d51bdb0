"""The mock server as an ASGI application: `create_app(config)`.

Layers, outermost first: CORS (pure ASGI) → `MockApp`, which answers `/openapi.yaml|json`,
hands `/__admin/*` to the admin API, and runs every other request through: body read with the
size limit counted while it streams (413) → injected faults → `--latency` → the profile's
pipeline (route, auth, body checks, handler) → with `--state-file`, the shared durable point
(group commit: the answer waits until every change so far is fsynced). One access-log line and
one journal entry per API request. Everything is pure ASGI (no BaseHTTPMiddleware) for
throughput.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback

import orjson
from starlette.types import Receive, Scope, Send

from credkit_core.errors import StateFileError
from credkit_core.resources import CREDENTIALS_SPEC
from mockserver.admin import AdminApp
from mockserver.config import Config
from mockserver.cors import CORSMiddleware
from mockserver.journal import JournalEntry
from mockserver.persistence import StateFile
from mockserver.profile import Profile
from mockserver.profiles import check_profile, create_profile
from mockserver.requests import Call, read_body
from mockserver.responses import JSON, ApiError, Reply, error_reply, send_reply
from mockserver.state import AppState, build_state

__all__ = ["MockApp", "create_app"]

log = logging.getLogger("credkit")


class MockApp:
    """The ASGI callable. `state` gives access to the store, keys, journal and faults."""

    def __init__(self, state: AppState, profile: Profile, admin: AdminApp) -> None:
        self.state = state
        self.profile = profile
        self.admin = admin
        self._docs: dict[str, tuple[bytes, bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/__admin"):
                started = time.perf_counter()
                status = await self.admin(scope, receive, send)
                self.log_access(scope["method"], path, status, started)
            elif path in ("/openapi.yaml", "/openapi.json"):
                started = time.perf_counter()
                status = await self.serve_spec(scope, send)
                self.log_access(scope["method"], path, status, started)
            else:
                await self.api(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.state.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def log_access(self, method: str, path: str, status: int, started: float) -> None:
        """One line per request: method, path (never the query), status, milliseconds."""
        self.state.access_log.write(method, path, status, (time.perf_counter() - started) * 1000)

    async def serve_spec(self, scope: Scope, send: Send) -> int:
        if scope["method"] not in ("GET", "HEAD"):
            reply = error_reply(405, "Method not allowed; allowed: GET.", ((b"allow", b"GET"),))
        else:
            path = scope["path"]
            if path not in self._docs:
                if path.endswith(".yaml"):
                    self._docs[path] = (CREDENTIALS_SPEC.read_bytes(), b"application/yaml")
                else:
                    self._docs[path] = (orjson.dumps(self.state.document), JSON)
            body, content_type = self._docs[path]
            reply = Reply(200, body, content_type)
        await send_reply(send, reply)
        return reply.status

    async def api(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        state = self.state
        method: str = scope["method"]
        path: str = scope["path"]
        call: Call | None = None
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
            fault = state.faults.take(method, path) if state.faults else None
            if fault is not None and fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if state.config.latency_ms:
                await asyncio.sleep(state.config.latency_ms / 1000)
            if fault is not None and fault.status is not None:
                reply = error_reply(fault.status, f"Injected fault {fault.id} ({fault.status}).")
                if fault.status in (204, 304):
                    reply = Reply(fault.status, b"")
            else:
                call = Call(method, path, scope["query_string"], dict(scope["headers"]), body)
                persistence = state.persistence
                mark = persistence.written if persistence is not None else 0
                try:
                    reply = self.profile.handle(call)
                except ApiError as exc:
                    reply = exc.reply()
                except StateFileError as exc:  # the change was refused: nothing changed
                    reply = error_reply(503, str(exc))
                except Exception as exc:
                    # The type and the frames, never the message: it could quote a body value.
                    log.error(
                        "Unhandled %s in %s %s:\n%s",
                        type(exc).__name__,
                        method,
                        path,
                        "".join(traceback.format_tb(exc.__traceback__)),
                    )
                    reply = error_reply(
                        500, "Internal error in the mock server (a bug; see its log)."
                    )
                if persistence is not None and persistence.synced < persistence.written:
                    reply = await self.durable(persistence, reply, persistence.written != mark)
        await send_reply(send, reply)
        elapsed = (time.perf_counter() - started) * 1000
        state.journal.record(
            JournalEntry(
                time.time(),
                method,
                path,
                scope["query_string"],
                reply.status,
                elapsed,
                tuple(scope["headers"]),
                call.json if call is not None else None,
                body_len,
            )
        )
        state.access_log.write(method, path, reply.status, elapsed)

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


def create_app(config: Config | None = None) -> CORSMiddleware:
    """The mock server's ASGI app; `.state` is its `AppState` (store, keys, journal, faults)."""
    config = config or Config()
    check_profile(config.profile)  # before the state file is opened
    state = build_state(config)
    app = MockApp(state, create_profile(config.profile, state), AdminApp(state))
    return CORSMiddleware(app, config.cors_origins)
