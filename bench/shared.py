"""The shared store's cost: 1 worker in memory, 1 worker on Redis, 2 workers on Redis.

Starts its own `redis-server` (Debian package; installed when missing) on a free loopback port,
persistence off, and three `credkit serve --log-level warning` side by side (each Redis one on
its own database), loaded alternately round by round with PUTs to random ids of 1,000 stored
credentials (bench/put_ids.lua; 32 connections).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import bigstore
import procs
import wrkload


def ensure_redis() -> str:
    found = shutil.which("redis-server")
    if found is None:
        subprocess.run(["apt-get", "install", "-y", "redis-server"], check=True)
        found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    return found


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = procs.free_port()
    proc = subprocess.Popen(
        [
            ensure_redis(),
            *("--port", str(port), "--bind", procs.HOST),
            *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ping = subprocess.run(
            ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, check=False
        )
        if ping.stdout.strip() == "PONG":
            return proc, f"redis://{procs.HOST}:{port}"
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError("redis-server did not start")


def shared(wrk: str, rounds: int, seconds: float, workdir: Path) -> dict[str, Any]:
    redis, base = start_redis(workdir)
    fixture, ids = bigstore.write(workdir, 1000)
    common = ("--log-level", "warning", "--secret-key", "bench-passphrase")
    fixtures = ("--fixtures", str(fixture))
    servers = {
        "memory-1w": procs.start_credkit(*common, *fixtures),
        "redis-1w": procs.start_credkit(*common, *fixtures, "--store", f"{base}/1"),
        "redis-2w": procs.start_credkit(
            *common, *fixtures, "--store", f"{base}/2", "--workers", "2"
        ),
    }
    loads = {
        "PUT random of 1,000": {"script": wrkload.PUT_IDS_LUA, "script_args": (str(ids),)},
    }
    out: dict[str, Any] = {}
    try:
        for server in servers.values():
            procs.wait_ready(server, timeout=120)
            wrkload.run(wrk, server.url, seconds=2, **loads["PUT random of 1,000"])  # warm-up
        names = list(servers)
        for load_name, load in loads.items():
            per: dict[str, list[wrkload.WrkResult]] = {name: [] for name in servers}
            for index in range(rounds):
                for name in names[index % len(names) :] + names[: index % len(names)]:
                    result = wrkload.run(wrk, servers[name].url, seconds=seconds, **load)
                    per[name].append(result)
                    print(
                        f"  {load_name:20} round {index + 1}/{rounds} {name:9} "
                        f"{result.rps:7.0f} req/s p50 {result.p50_ms:6.2f} ms "
                        f"p99 {result.p99_ms:6.2f} ms non-2xx {result.non_2xx} "
                        f"errors {result.socket_errors}",
                        file=sys.stderr,
                    )
            out[load_name] = {
                name: {
                    "rps": _median([r.rps for r in runs]),
                    "p50_ms": _median([r.p50_ms for r in runs]),
                    "p99_ms": _median([r.p99_ms for r in runs]),
                    "errors": sum(r.non_2xx + r.socket_errors for r in runs),
                    "rounds_rps": [round(r.rps) for r in runs],
                }
                for name, runs in per.items()
            }
            for name in ("redis-1w", "redis-2w"):
                pairs = list(zip(per[name], per["memory-1w"], strict=True))
                out[load_name][name]["ratio_rps"] = _median([a.rps / b.rps for a, b in pairs])
    finally:
        for server in servers.values():
            server.stop()
        redis.terminate()
        redis.wait(timeout=10)
    return out


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if not ordered:
        return float("nan")
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def table(results: dict[str, Any]) -> str:
    lines = ["", "shared store (medians; ratio: req/s against memory-1w in the same round)"]
    for load_name, servers in results.items():
        lines.append(f"  {load_name}")
        for name, row in servers.items():
            ratio = f"  x{row['ratio_rps']:.2f}" if "ratio_rps" in row else ""
            lines.append(
                f"    {name:10} {row['rps']:7.0f} req/s  p50 {row['p50_ms']:6.2f} ms  "
                f"p99 {row['p99_ms']:6.2f} ms  errors {row['errors']}{ratio}"
            )
    return "\n".join(lines)
