"""Slow clients (slowloris) and a latency probe, for the soak script and its short test.

`slowloris(url, sockets, seconds)` opens many connections to 127.0.0.1 that send a request's
headers one byte at a time and never finish them; `probe(url, seconds)` meanwhile sends normal
requests one after another and records each one's latency and status. Both are bounded in count
and time, and stop by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from credkit_core.resources import DEV_KEYS

HEAD = (
    b"PUT /api/v1/credentials/cred-789 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    + f"Authorization: Bearer {DEV_KEYS['full']}\r\n".encode()
    + b"Content-Type: application/json\r\n"
    + b"X-Padding: "
    + b"a" * 4096
    + b"\r\n"
)


@dataclass
class SlowStats:
    opened: int = 0
    refused: int = 0
    closed_by_server: int = 0
    bytes_sent: int = 0


@dataclass
class ProbeStats:
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def quantile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> str:
        if not self.latencies_ms:
            return f"0 requests, {len(self.failures)} failures"
        return (
            f"{len(self.latencies_ms)} requests, "
            f"p50 {statistics.median(self.latencies_ms):.2f} ms, "
            f"p99 {self.quantile(0.99):.2f} ms, max {max(self.latencies_ms):.2f} ms, "
            f"{len(self.failures)} failures"
        )


async def _slow_one(
    host: str, port: int, deadline: float, interval: float, stats: SlowStats
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        stats.refused += 1
        return
    stats.opened += 1
    try:
        for byte in HEAD:  # never the blank line that ends the headers
            if time.monotonic() >= deadline:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            stats.bytes_sent += 1
            await asyncio.sleep(interval)
            if reader.at_eof():
                stats.closed_by_server += 1
                break
    except (ConnectionError, OSError):
        stats.closed_by_server += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 1)


def slowloris(url: str, sockets: int, seconds: float, interval: float = 0.2) -> SlowStats:
    """`sockets` (at most 2,000) slow connections for `seconds` (at most 600); blocks until done."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("slow clients only ever target the loopback interface")
    stats = SlowStats()
    deadline = time.monotonic() + min(seconds, 600)

    async def main() -> None:
        tasks = []
        for _ in range(min(sockets, 2000)):
            tasks.append(asyncio.create_task(_slow_one(host, port, deadline, interval, stats)))
            await asyncio.sleep(0.002)  # ramp up
        await asyncio.gather(*tasks)

    asyncio.run(main())
    return stats


def slowloris_in_thread(
    url: str, sockets: int, seconds: float, interval: float = 0.2
) -> tuple[threading.Thread, SlowStats]:
    holder: dict[str, SlowStats] = {}
    stats = SlowStats()

    def run() -> None:
        holder["stats"] = slowloris(url, sockets, seconds, interval)
        stats.__dict__.update(holder["stats"].__dict__)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, stats


def probe(
    url: str, seconds: float, *, fresh_connections: bool = False, max_requests: int = 100_000
) -> ProbeStats:
    """Normal PUTs one after another for `seconds` (keep-alive, or a new connection each):
    each one's latency, or why it failed."""
    stats = ProbeStats()
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {DEV_KEYS['full']}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        for n in range(max_requests):
            if time.monotonic() >= deadline:
                break
            started = time.perf_counter()
            try:
                if fresh_connections:
                    connection.close()
                    connection = http.client.HTTPConnection(host, port, timeout=10)
                body = json.dumps({"plainDataObj": {"probe": n}})
                connection.request("PUT", "/api/v1/credentials/cred-789", body, headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                stats.failures.append(type(exc).__name__)
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=10)
                continue
            if response.status != 200:
                stats.failures.append(f"status {response.status}")
                continue
            stats.latencies_ms.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return stats
