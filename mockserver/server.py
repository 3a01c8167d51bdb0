"""Running the mock under uvicorn: `run(config)`, the startup banner and logging.

The banner (stdout) shows the URL (the real port when started with `--port 0`), the built-in
development keys, where the encryption passphrase came from (never the passphrase), which
`Host` names and browser origins are allowed (with a warning when `*` opens either up, and a
hint when the mock is bound to every interface) and one copy-paste curl of the documented
example. Logs go to stderr: one access line per request (method, path without the query,
status, milliseconds), never a header or a body.

The listening socket is bound here, before anything is loaded, so a port in use, a port that
needs privileges or an address that is not this machine's is one line naming the option and
exit status 2 (`ConfigError`), not uvicorn's log lines.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import gc
import json
import logging
import os
import socket
import sys
from collections.abc import Callable
from typing import Any, TextIO

import uvicorn

from credkit_core.errors import ConfigError
from credkit_core.resources import DEV_KEYS
from mockserver.app import MockApp, create_app
from mockserver.config import Config, is_loopback_host
from mockserver.edge.hosts import WILDCARD_BINDS, HostPolicy
from mockserver.edge.origins import OriginPolicy

__all__ = ["banner", "bind_socket", "configure_logging", "prepare", "run", "worker_app"]

WORKER_CONFIG = "_CREDKIT_WORKER_CONFIG"  # the config, as JSON, for `--workers` processes


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("credkit")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False
    for name in ("uvicorn", "uvicorn.error"):
        uv = logging.getLogger(name)
        uv.handlers[:] = [handler]
        uv.setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
        uv.propagate = False


def bind_socket(config: Config) -> socket.socket:
    """A socket bound to `config.host`/`config.port` (as uvicorn binds it); `ConfigError`
    (exit 2) in one line naming the option when it cannot be."""
    host, port = config.host, config.port
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(_bind_problem(exc, host, port)) from None
    return sock


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    if isinstance(exc, socket.gaierror):
        return (
            f"Cannot listen on --host {host!r}: not a known name ({exc.strerror}). Give an IP "
            "address or a name of this machine, such as 127.0.0.1 (or set CREDKIT_HOST)."
        )
    if exc.errno == errno.EADDRINUSE:
        return (
            f"Port {port} on {host} is already in use. Stop what listens there, or choose "
            "another port with --port (or CREDKIT_PORT); --port 0 takes a free one."
        )
    if exc.errno == errno.EACCES:
        return (
            f"Not allowed to listen on port {port} of {host} (ports below 1024 need "
            "privileges). Choose another with --port, such as --port 3000."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"Cannot listen on --host {host!r}: it is not an address of this machine. Give "
            "one of its addresses, or 127.0.0.1 to stay local."
        )
    return f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Check --host and --port."


def _printable(text: str) -> str:
    """`text` with undecodable file-name bytes shown as \\xNN (stdout is strict UTF-8)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def local_url(host: str, port: int) -> str:
    """The URL to print: a wildcard bind is reached locally through the loopback address."""
    if host in WILDCARD_BINDS:
        host = "[::1]" if ":" in host else "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def access_lines(
    config: Config, hosts: HostPolicy | None = None, origins: OriginPolicy | None = None
) -> list[str]:
    """The banner's lines on who may reach the mock: hosts, origins, warnings and hints (the
    policies the app built, else made from `config`)."""
    hosts = hosts or HostPolicy(config.allowed_hosts, bind_host=config.host)
    origins = origins or OriginPolicy(config.cors_origins)
    lines = [f"  allowed hosts: {hosts.describe()}", f"  CORS origins: {origins.describe()}"]
    if hosts.any:
        lines.append(
            "  WARNING: --allowed-host '*' accepts any Host: a web page can reach this mock "
            "through DNS rebinding. Name the hosts instead."
        )
    elif config.host in WILDCARD_BINDS and not config.allowed_hosts:
        lines.append(
            f"  note: bound to every interface ({config.host or '0.0.0.0'}), but requests "
            "that name this machine by another name or address are refused (403): add "
            "--allowed-host NAME for each, e.g. --allowed-host 192.168.1.20."
        )
    if origins.any:
        lines.append(
            "  WARNING: --cors-origin '*': any web page may call the credentials API from a "
            "browser (the admin API still answers listed origins only)."
        )
    return lines


def banner(url: str, app: MockApp) -> str:
    """What `credkit serve` prints once it listens."""
    runtime = app.runtime
    config: Config = runtime.config
    fixtures = runtime.fixtures
    keys = [k for k in fixtures.api_keys if k.key in DEV_KEYS.values()]
    bound = "" if config.host not in WILDCARD_BINDS else f" (bound to {config.host or '*'})"
    base = f" (base path {config.base_path})" if config.base_path else ""
    root = url + config.base_path
    store = app.backend.describe()
    workers = f" ({config.workers} workers)" if config.workers > 1 else ""
    lines = [
        f"credkit mock server {config.profile!r} profile listening on {url}{bound}{base}{workers}",
        f"  credentials: {app.backend.count()} (fixtures: {fixtures.source}"
        + (f", +{config.seed} generated" if config.seed else "")
        + ")",
        f"  encryption passphrase: {runtime.passphrase_source}",
    ]
    if store is not None:
        lines.append(f"  store: {store}")
    if config.state_file is not None:
        lines.append(f"  state file: {config.state_file}")
    if keys:
        lines.append("  development API keys:")
        for key in keys:
            permissions = ", ".join(sorted(key.permissions)) or "(no permissions)"
            lines.append(f"    {key.key:<24} {key.workspace}  {permissions}")
    lines.extend(access_lines(config, runtime.hosts, runtime.origins))
    if config.reload:
        lines.append(f"  reloading the fixtures when {fixtures.source} changes")
    lines.append(
        f"  docs: {root}/docs"
        + (
            f"   (Try it out: Authorize with {DEV_KEYS['full']})"
            if any(k.key == DEV_KEYS["full"] for k in keys)
            else ""
        )
    )
    lines.append(f"  spec: {root}/openapi.yaml   admin: {root}/__admin/state")
    lines.append(f"  dashboard: {root}/__admin/ui")
    lines.append("  try:")
    lines.append(
        f"    curl -X PUT '{root}/api/v1/credentials/cred-789' "
        f"-H 'Authorization: Bearer {DEV_KEYS['full']}' -H 'Content-Type: application/json' "
        """-d '{"name": "OpenAI Production Key"}'"""
    )
    return _printable("\n".join(lines))


def prepare(app: MockApp) -> None:
    """Before listening, what the store needs: with a shared store, check Redis and the
    passphrase and seed it (a ConfigError, exit 2, when Redis cannot be reached or was set up
    with another passphrase). Nothing to do in memory."""
    app.backend.prepare()


def _make_app(config: Config) -> MockApp:
    app = create_app(config)
    access_log = app.runtime.access_log
    # Everything loaded so far (spec, catalog, up to 100k stored credentials) lives as long as
    # the server: out of the collector's sight, a full collection no longer walks it in the
    # middle of a request (the p99 with 100k stored credentials).
    gc.collect()
    gc.freeze()
    if logging.getLogger("credkit.access").isEnabledFor(logging.INFO):
        access_log.stream = sys.stderr  # buffered, flushed every 50 ms
    else:
        access_log.enabled = False
    return app


def worker_app() -> MockApp:
    """The app of one `--workers` process (uvicorn's factory), from the parent's config."""
    values = json.loads(os.environ.pop(WORKER_CONFIG))  # secrets: not for later children
    for name in ("cors_origins", "allowed_hosts"):
        values[name] = tuple(values[name])
    config = Config(**values)
    configure_logging(config.log_level)
    return _make_app(config)


def run(config: Config) -> None:
    """Serve `config` until interrupted (Ctrl-C). Raises CredkitError on a bad config/state."""
    if config.admin_token is None and not is_loopback_host(config.host):
        raise ConfigError(
            f"--host {config.host} is not loopback: other machines can reach this mock, so its "
            "admin API needs a token. Start with --admin-token (CREDKIT_ADMIN_TOKEN), or bind "
            "127.0.0.1."
        )
    configure_logging(config.log_level)
    sock = bind_socket(config)  # first: a port in use is known before anything is loaded
    try:
        app = _make_app(config)
        prepare(app)
    except BaseException:
        sock.close()
        raise
    runtime = app.runtime
    if config.workers > 1:
        _run_workers(config, sock, banner_for=lambda url: banner(url, app))
        return

    class _Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            runtime.stopping = True  # the dashboard's live streams end: shutdown is not held
            super().handle_exit(sig, frame)

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.should_exit:
                return
            port = config.port
            for server in getattr(self, "servers", []):
                for sock in server.sockets:
                    port = sock.getsockname()[1]
                    break
            url = local_url(config.host, port)
            print(banner(url, app), flush=True)

    uv_config = uvicorn.Config(app, **_uvicorn_options(config))
    # uvicorn re-raises the Ctrl-C it handled once the shutdown is complete: exit cleanly.
    with contextlib.suppress(KeyboardInterrupt):
        _Server(uv_config).run(sockets=[sock])


def _uvicorn_options(config: Config) -> dict[str, Any]:
    """What every uvicorn server of `credkit serve` shares: our logging (no uvicorn access log,
    no `server` header) and the lifespan."""
    return {
        "host": config.host,
        "port": config.port,
        "log_config": None,
        "log_level": config.log_level,
        "access_log": False,
        "lifespan": "on",
        "server_header": False,
    }


def _run_workers(config: Config, sock: socket.socket, banner_for: Callable[[str], str]) -> None:
    """`config.workers` uvicorn worker processes on `sock`, each with its own app on the
    shared store (`worker_app`); the banner once, from this parent."""
    from uvicorn.supervisors import Multiprocess

    values = {
        f.name: (str(v) if isinstance(v, os.PathLike) else v)
        for f in dataclasses.fields(config)
        for v in [getattr(config, f.name)]
    }
    for name in ("cors_origins", "allowed_hosts"):
        values[name] = list(values[name])
    os.environ[WORKER_CONFIG] = json.dumps(values)
    uv_config = uvicorn.Config(
        "mockserver.server:worker_app",
        factory=True,
        workers=config.workers,
        **_uvicorn_options(config),
    )
    sock.set_inheritable(True)
    sock.listen(uv_config.backlog)  # connections wait in the backlog until a worker is up
    print(banner_for(local_url(config.host, sock.getsockname()[1])), flush=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            Multiprocess(uv_config, sockets=[sock]).run()
    finally:
        os.environ.pop(WORKER_CONFIG, None)  # it holds the secret key and the admin token
