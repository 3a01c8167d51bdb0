"""Running the mock under uvicorn: `run(config)`, the startup banner and logging.

The banner (stdout) shows the URL (the real port when started with `--port 0`), the built-in
development keys, where the encryption passphrase came from (never the passphrase) and one
copy-paste curl of the documented example. Logs go to stderr: one access line per request
(method, path without the query, status, milliseconds), never a header or a body.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
from typing import TextIO

import uvicorn

from credkit_core.resources import DEV_KEYS
from mockserver.app import create_app
from mockserver.config import Config
from mockserver.state import AppState

__all__ = ["banner", "configure_logging", "run"]


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


def banner(url: str, state: AppState) -> str:
    """What `credkit serve` prints once it listens."""
    config: Config = state.config
    keys = [k for k in state.fixtures.api_keys if k.key in DEV_KEYS.values()]
    lines = [
        f"credkit mock server {config.profile!r} profile listening on {url}",
        f"  credentials: {len(state.store)} (fixtures: {state.fixtures.source}"
        + (f", +{config.seed} generated" if config.seed else "")
        + ")",
        f"  encryption passphrase: {state.passphrase_source}",
    ]
    if config.state_file is not None:
        lines.append(f"  state file: {config.state_file}")
    if keys:
        lines.append("  development API keys:")
        for key in keys:
            lines.append(f"    {key.key:<24} {key.workspace}  {', '.join(sorted(key.permissions))}")
    lines.append(f"  spec: {url}/openapi.yaml   admin: {url}/__admin/state")
    lines.append("  try:")
    lines.append(
        f"    curl -X PUT '{url}/api/v1/credentials/cred-789' "
        f"-H 'Authorization: Bearer {DEV_KEYS['full']}' -H 'Content-Type: application/json' "
        """-d '{"name": "OpenAI Production Key"}'"""
    )
    return "\n".join(lines)


def run(config: Config) -> None:
    """Serve `config` until interrupted (Ctrl-C). Raises CredkitError on a bad config/state."""
    configure_logging(config.log_level)
    app = create_app(config)
    state = app.state
    if logging.getLogger("credkit.access").isEnabledFor(logging.INFO):
        state.access_log.stream = sys.stderr  # buffered, flushed every 50 ms
    else:
        state.access_log.enabled = False

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.should_exit:
                return
            port = config.port
            for server in getattr(self, "servers", []):
                for sock in server.sockets:
                    port = sock.getsockname()[1]
                    break
            host = config.host if ":" not in config.host else f"[{config.host}]"
            print(banner(f"http://{host}:{port}", state), flush=True)

    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_config=None,
        log_level=config.log_level,
        access_log=False,
        lifespan="on",
        server_header=False,
    )
    # uvicorn re-raises the Ctrl-C it handled once the shutdown is complete: exit cleanly.
    with contextlib.suppress(KeyboardInterrupt):
        _Server(uv_config).run()
