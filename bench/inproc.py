"""Per-request CPU time of credkit's ASGI app, driven in-process (no sockets, no uvicorn).

    python bench/inproc.py                  # CPU µs per documented PUT (median of 5 batches)
    python bench/inproc.py --profile 20     # cProfile: the 20 costliest functions
    python bench/inproc.py --seed 100000    # the same with 100k generated credentials stored

The app is called directly with an ASGI scope, `receive` and `send`, in a loop on one event
loop; `time.process_time()` counts this process's CPU only, so other work on the machine
barely moves the figure (unlike wrk's req/s). This is the app's own cost per request: what
uvicorn adds on top is what the bare-ASGI ceiling in `bench/run.py` measures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockserver.app import create_app
from mockserver.config import Config

BODY = (
    b'{"name":"OpenAI Production Key","plainDataObj":{"openAIApiKey":"sk-bench-0000000000000000"}}'
)
HEADERS = [
    (b"host", b"127.0.0.1:3000"),
    (b"authorization", b"Bearer YOUR_API_KEY"),
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BODY)).encode("ascii")),
]


def scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 3000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "PUT",
        "root_path": "",
        "path": "/api/v1/credentials/cred-789",
        "raw_path": b"/api/v1/credentials/cred-789",
        "query_string": b"",
        "headers": list(HEADERS),
        "state": {},
    }


async def loop(app: Any, count: int) -> int:
    """`count` PUTs; the number answered 200."""
    ok = 0
    message = {"type": "http.request", "body": BODY, "more_body": False}

    async def receive() -> dict[str, Any]:
        return message

    status = [0]

    async def send(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.start":
            status[0] = event["status"]

    for _ in range(count):
        await app(scope(), receive, send)
        ok += status[0] == 200
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20_000, help="requests per batch")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no access log (--log-level warning)")
    parser.add_argument("--profile", type=int, metavar="N", help="print cProfile's top N")
    args = parser.parse_args(argv)
    app = create_app(Config(seed=args.seed))
    if args.quiet:
        app.runtime.access_log.enabled = False
    else:  # as under `credkit serve`: buffered lines to a stream
        app.runtime.access_log.stream = io.StringIO()
    runner = asyncio.new_event_loop()
    runner.run_until_complete(loop(app, 2000))  # warm-up
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        runner.run_until_complete(loop(app, args.count))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        return 0
    per: list[float] = []
    for _ in range(args.batches):
        app.runtime.access_log.flush()
        if isinstance(app.runtime.access_log.stream, io.StringIO):
            app.runtime.access_log.stream = io.StringIO()
        started = time.process_time()
        ok = runner.run_until_complete(loop(app, args.count))
        per.append((time.process_time() - started) / args.count * 1e6)
        if ok != args.count:
            raise SystemExit(f"only {ok} of {args.count} answers were 200")
    print(
        f"CPU per PUT: {statistics.median(per):.1f} µs (median of {args.batches} batches of "
        f"{args.count}; batches {' '.join(f'{p:.1f}' for p in per)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
