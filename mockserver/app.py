"""The mock server as an ASGI application: `create_app(config)`, the composition root.

Built from Starlette's pieces, outermost first: the `Host` check against DNS rebinding
(`mockserver.edge.hosts`, pure ASGI) → `CORSMiddleware` (`mockserver.edge.cors`) → a
`Router` with a `Route` for each spec document (`mockserver.apps.documents`), a `Mount` for the
admin API (`mockserver.apps.admin`), and the credentials API (`mockserver.apps.api`) as the router's
default; the lifespan runs through the router. What is ours is what is fast and specific: the
route table and validators compiled from the spec, the store, the crypto.

The API is the router's `default` rather than a `Mount("")`: a `Mount`'s path pattern refuses
some paths (one with an encoded newline, for instance), which would then get Starlette's plain
"Not Found" instead of the spec's error shape; as the default it sees every path, and no
per-request scope copy is made for it. Paths under `/api/` skip the router and go to the API
directly: the router cost 10% of the CPU of a PUT (`MockApp.dispatch` has the figures).

The process-wide part (`runtime`: config, spec, catalog, access log, policies) is built once;
the namespaces' state is the store's (`backend`: in memory, or shared on Redis), which gives
the profile the request's namespace with every call.

The app can be mounted in any Starlette or FastAPI app (`Mount("/flowise", app=create_app())`);
paths are then read below the mount point. A mounted app's lifespan does not run, so call
`app.state.close()` from yours at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from mockserver.apps.admin import AdminApp
from mockserver.apps.api import ApiApp
from mockserver.apps.documents import SpecDocuments
from mockserver.config import Config
from mockserver.docs import DocsPage, OutsideBasePath
from mockserver.edge.cors import MockCORSMiddleware
from mockserver.edge.hosts import HostCheck
from mockserver.edge.namespaces import NamespaceRouter
from mockserver.profile import Profile
from mockserver.profiles import check_profile, create_profile
from mockserver.reload import FixturesWatcher
from mockserver.requests import route_path
from mockserver.runtime import Runtime, build_runtime
from mockserver.stores.base import Backend, create_store
from mockserver.stores.memory import MemoryBackend, MemorySpace

__all__ = ["MockApp", "create_app"]

API_PREFIX = "/api/"  # no spec document or admin path starts with it


class MockApp:
    """The ASGI app. `runtime` is what the process holds once; `backend` keeps the namespaces
    (`state`: the `default` one, when it lives in this process); `profile` answers the API;
    `router` and `admin` are the Starlette router and the admin API."""

    def __init__(self, runtime: Runtime, profile: Profile, backend: Backend) -> None:
        self.runtime = runtime
        self.profile = profile
        self.backend = backend
        self.admin = AdminApp(runtime, backend)
        self.api = ApiApp(runtime, profile, backend)
        documents = SpecDocuments(runtime)
        docs = DocsPage(runtime)
        config = runtime.config
        base = config.base_path
        self.router = Router(
            routes=[
                Route("/openapi.yaml", documents),
                Route("/openapi.json", documents),
                Route("/__admin/openapi.yaml", documents),
                Mount("/__admin", app=self.admin),
                Route("/", docs),
                Route("/docs", docs),
                Route("/docs/{asset}", docs),
            ],
            default=self.api,
            lifespan=None if base else self.lifespan,
            redirect_slashes=False,  # `/__admin` and `/openapi.yaml/` are answered, not redirected
        )
        served: ASGIApp = self.router
        if base:  # everything below the base path; `/` and the bare prefix lead to its docs
            served = Router(
                # namespaces below it too: `/base/ns/<name>/api/...`
                routes=[Mount(base, app=NamespaceRouter(self.router))],
                default=OutsideBasePath(runtime, base),
                lifespan=self.lifespan,
                redirect_slashes=False,
            )
        self.served = served
        self.shortcut = not base  # under a base path every request goes through the routers
        # Without a base path, namespaces are chosen before dispatch (so `/ns/x/api/...` takes
        # the shortcut); with one, inside its mount (above).
        routed: ASGIApp = self.dispatch if base else NamespaceRouter(self.dispatch)
        self.cors = MockCORSMiddleware(routed, runtime.origins, runtime.access_log)
        self.asgi = HostCheck(self.cors, runtime.hosts, runtime.access_log)
        self.watcher = (
            FixturesWatcher(runtime, self.state, config.fixtures)
            if config.reload and config.fixtures is not None and self.state is not None
            else None
        )

    @property
    def state(self) -> MemorySpace | None:
        """The `default` namespace (`.store`, `.keyring`, `.journal`, `.faults`, `.reset()`)
        when it is kept in this process; None on a shared store (Redis)."""
        return self.backend.default if isinstance(self.backend, MemoryBackend) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """`/api/...` straight to the API, everything else (lifespan too) through the router.

        Measured with `bench/run.py --baseline` (server CPU per answered PUT, alternating with
        the build before Starlette, 2026-12-01): every request through the `Router` cost +9 us
        (82 -> 91 us, median per-round ratio 1.09-1.11); with this shortcut for the API's own
        paths, 0.98-1.04. The router still decides every other path and the API remains its
        default, so nothing routes differently."""
        if self.shortcut and scope["type"] == "http" and route_path(scope).startswith(API_PREFIX):
            await self.api(scope, receive, send)
        else:
            await self.served(scope, receive, send)

    @asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """With `--reload`, start watching the fixtures file; at shutdown, stop it, close the
        store (the state file, Redis connections) and flush the access log."""
        task = asyncio.create_task(self.watcher.run()) if self.watcher is not None else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.backend.close()
            self.runtime.access_log.flush()


def create_app(config: Config | None = None) -> MockApp:
    """The mock server's ASGI app; `.runtime` is the process's part, `.backend` the store,
    `.state` the `default` namespace in memory (store, keys, journal, faults)."""
    config = config or Config()
    check_profile(config.profile)  # before the state file is opened
    runtime = build_runtime(config)
    return MockApp(runtime, create_profile(config.profile, runtime), create_store(runtime))
