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
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from credkit_core.catalog import Catalog, default_catalog
from credkit_core.crypto import Encryptor
from credkit_core.errors import StateFileError
from credkit_core.fixtures.loader import CredentialSeed, FixtureSet, load_fixtures
from credkit_core.resources import CREDENTIALS_SPEC, load_spec
from mockserver.accesslog import AccessLog
from mockserver.auth import KeyRing
from mockserver.config import Config
from mockserver.cors import CORSMiddleware
from mockserver.faults import FaultSet
from mockserver.journal import Journal, JournalEntry
from mockserver.passphrase import resolve_passphrase
from mockserver.profile import Call, Profile, profile_for
from mockserver.responses import JSON, ApiError, Reply, error_reply, send_reply
from mockserver.routing import RouteTable, compile_spec
from mockserver.store import Store, StoredCredential

if TYPE_CHECKING:
    from mockserver.persistence import StateFile

__all__ = ["AppState", "MockApp", "create_app", "seed_credentials"]

log = logging.getLogger("credkit")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(eq=False)
class AppState:
    """Everything the running mock holds; `create_app(...).state` for tests and the admin API."""

    config: Config
    document: dict[str, Any]
    routes: RouteTable
    catalog: Catalog
    fixtures: FixtureSet
    keyring: KeyRing
    store: Store
    journal: Journal = field(default_factory=Journal)
    faults: FaultSet = field(default_factory=FaultSet)
    passphrase_source: str = "generated"
    persistence: StateFile | None = None
    profile: Profile | None = None
    loaded: FixtureSet | None = None  # a fixture document loaded by PUT /__admin/state
    access_log: AccessLog = field(default_factory=AccessLog)

    def seeds(self) -> list[StoredCredential]:
        """The fixture credentials (plus `--seed N` generated ones), freshly encrypted."""
        return self.store.from_seeds(seed_credentials(self.fixtures, self.config.seed))

    def reset(self) -> None:
        """Back to the fixtures (keys included); the journal and faults are cleared. With a
        state file, `StateFileError` when it cannot be written, and nothing is changed."""
        self.store.replace_all(self.seeds())  # first: it raises when the snapshot is refused
        self.keyring = KeyRing(self.fixtures.api_keys)
        self.loaded = None
        self.journal.clear()
        self.faults.clear()


def seed_credentials(fixtures: FixtureSet, generated: int) -> list[CredentialSeed]:
    seeds = list(fixtures.credentials)
    if generated:
        from credkit_core.fixtures.generator import generate_credentials
        from credkit_core.fixtures.loader import parse_fixtures

        workspaces = [w.id for w in fixtures.workspaces] or ["workspace-123"]
        document = {
            "workspaces": [{"id": w} for w in workspaces],
            "apiKeys": [],
            "credentials": generate_credentials(generated, seed=generated, workspaces=workspaces),
        }
        taken = {s.id for s in seeds}
        extra = parse_fixtures(document, source=f"--seed {generated}").credentials
        seeds.extend(s for s in extra if s.id not in taken)
    return seeds


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to exceed `limit` (never buffered past it)."""
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


class MockApp:
    """The ASGI callable. `state` gives access to the store, keys, journal and faults."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        profile = profile_for(state.config.profile)(state, state.routes)
        state.profile = profile
        self.profile = profile
        self.admin: Any = None
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
                self.state.access_log.flush()
                if self.state.persistence is not None:
                    self.state.persistence.close()
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


def build_state(config: Config) -> AppState:
    """Load the spec, catalog, fixtures and state file; seed the store."""
    document = load_spec(CREDENTIALS_SPEC)
    routes = compile_spec(document)
    catalog = default_catalog()
    fixtures = load_fixtures(config.fixtures, catalog=catalog)
    passphrase, source = resolve_passphrase(config.secret_key, config.state_file)
    store = Store(Encryptor(passphrase), catalog)
    state = AppState(
        config=config,
        document=document,
        routes=routes,
        catalog=catalog,
        fixtures=fixtures,
        keyring=KeyRing(fixtures.api_keys),
        store=store,
        passphrase_source=source,
        access_log=AccessLog(enabled=config.access_log),
    )
    if config.state_file is not None:
        from mockserver.persistence import StateFile

        state.persistence = StateFile(config.state_file, store, compact_every=config.compact_every)
        loaded = state.persistence.load()  # the state file wins over the fixtures
        store.sink = state.persistence
        store.replace_all(loaded if loaded is not None else state.seeds(), record=loaded is None)
    else:
        store.replace_all(state.seeds())
    return state


def create_app(config: Config | None = None) -> CORSMiddleware:
    """The mock server's ASGI app; `.state` is its `AppState` (store, keys, journal, faults)."""
    config = config or Config()
    state = build_state(config)
    app = MockApp(state)
    from mockserver.admin import AdminApp

    app.admin = AdminApp(state)
    return CORSMiddleware(app, config.cors_origins)
