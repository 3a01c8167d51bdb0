"""Serve one of the test suite's implementations on 127.0.0.1 (for bench/verify_speed.py).

    python bench/serve_app.py tests.contracts.broken.model:put_revives_deleted --port 0 \
        --latency 50

`MODULE:FACTORY` names a function returning an ASGI app (the broken implementations in
`tests/contracts/broken/`, the second implementation's `create_app`); every HTTP answer is
delayed by `--latency` milliseconds (a remote target). Prints the banner line bench/procs.py
reads the URL from.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def delayed(app: Any, seconds: float, stall: float = 0.0, stall_at: int = 100) -> Any:
    """Every HTTP answer `seconds` late; the `stall_at`-th API request, `stall` seconds more
    (once: a server that stalls now and then, still within the client's --timeout)."""
    seen = [0]

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if scope["path"].startswith("/api/v1/credentials"):
                seen[0] += 1
                if stall and seen[0] == stall_at:
                    await asyncio.sleep(stall)
            if seconds:
                await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return asgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("factory", help="MODULE:FUNCTION returning an ASGI app")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="milliseconds per answer")
    parser.add_argument(
        "--stall-once", type=float, default=0.0, help="the 100th API answer this many ms late"
    )
    args = parser.parse_args()
    module, _, name = args.factory.partition(":")
    app = getattr(importlib.import_module(module), name)()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    port = sock.getsockname()[1]
    app = delayed(app, args.latency / 1000, args.stall_once / 1000)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    print(f"credkit mock on http://127.0.0.1:{port}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
