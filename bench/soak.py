"""Soak: sustained load on `credkit serve` for minutes, with RSS sampled all along.

    python bench/soak.py                 # ~5 minutes
    python bench/soak.py --minutes 1     # shorter phases

Phases (one server, default settings, its log read and discarded as it comes):
1. keep-alive: wrk, 32 connections, the documented PUT, for most of the time;
2. fresh connections: wrk with `Connection: close` (a new TCP connection per request);
3. slow clients: N sockets sending headers one byte at a time (slowloris) while a probe sends
   normal PUTs one after another; its latency is compared with the same probe just before;
4. big bodies: 1,100 PUTs of ~256 KiB (past the journal's 1,000 entries), then 1,100 small
   ones: the journal keeps only a bounded shape of large bodies, so RSS stays flat (before that
   fix it rose by ~250 MiB here, ~1 GiB with 900 KiB bodies) and must end where it started.
RSS is sampled every 0.5 s; the verdict is on its growth over the keep-alive phase's second half.
All traffic goes to 127.0.0.1; every phase is bounded in time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import procs
import wrkload

from tests.hardening.slowclients import probe, slowloris_in_thread

CLOSE_LUA = Path(__file__).resolve().parent / "put_close.lua"


class Sampler:
    def __init__(self, server: procs.Server, every: float = 0.5) -> None:
        self.server, self.every = server, every
        self.samples: list[tuple[float, str, int]] = []
        self.phase = "start"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(
                (time.monotonic() - self._started, self.phase, self.server.rss_kib())
            )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def of(self, phase: str) -> list[int]:
        return [rss for _, p, rss in self.samples if p == phase]


def _mib(kib: float) -> str:
    return f"{kib / 1024:7.1f} MiB"


def _put_big(url: str, count: int, size: int) -> int:
    """`count` PUTs with a ~`size`-byte value (the same key each time: the store stays small)."""
    ok = 0
    for n in range(count):
        blob = f"{n:08d}" * (size // 8)
        data = f'{{"plainDataObj":{{"blob":"{blob}"}}}}'.encode()
        request = urllib.request.Request(
            url + "/api/v1/credentials/cred-789",
            data=data,
            method="PUT",
            headers={"Authorization": "Bearer YOUR_API_KEY", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            ok += response.status == 200
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=3.0, help="keep-alive phase length")
    parser.add_argument("--slow-sockets", type=int, default=500)
    args = parser.parse_args(argv)
    wrk = procs.ensure_wrk()
    keepalive_s = max(10.0, args.minutes * 60)
    fresh_s = max(5.0, keepalive_s / 4)
    server = procs.start_credkit()
    procs.wait_ready(server)
    sampler = Sampler(server)
    problems: list[str] = []
    try:
        half = keepalive_s / 2
        sampler.phase = "keep-alive 1st half"
        first = wrkload.run(wrk, server.url, seconds=half)
        sampler.phase = "keep-alive 2nd half"
        second = wrkload.run(wrk, server.url, seconds=half)
        sampler.phase = "fresh connections"
        fresh = wrkload.run(wrk, server.url, seconds=fresh_s, script=CLOSE_LUA)
        sampler.phase = "probe alone"
        alone = probe(server.url, 10)
        sampler.phase = "probe + slow clients"
        thread, slow = slowloris_in_thread(server.url, args.slow_sockets, 25)
        time.sleep(min(10.0, args.slow_sockets * 0.002 + 2))  # all slow sockets open
        during = probe(server.url, 10)
        thread.join(timeout=60)
        sampler.phase = "big bodies"
        big_ok = _put_big(server.url, 1100, 256 * 1024)
        sampler.phase = "small after big"
        small_ok = _put_big(server.url, 1100, 16)
        time.sleep(1.5)
    finally:
        sampler.stop()
        server.stop()

    print("\nphase                  RSS min      RSS max      RSS last")
    for phase in dict.fromkeys(p for _, p, _ in sampler.samples):
        values = sampler.of(phase)
        print(f"{phase:22} {_mib(min(values))} {_mib(max(values))} {_mib(values[-1])}")
    total = first.requests + second.requests
    growth = max(sampler.of("keep-alive 2nd half")) - min(sampler.of("keep-alive 2nd half"))
    print(
        f"\nkeep-alive: {total:,} PUTs in {first.seconds + second.seconds:.0f} s, "
        f"{statistics.mean([first.rps, second.rps]):.0f} req/s (1st half {first.rps:.0f}, 2nd half "
        f"{second.rps:.0f}), p99 {first.p99_ms:.1f} / {second.p99_ms:.1f} ms, "
        f"errors {first.non_2xx + second.non_2xx + first.socket_errors + second.socket_errors}"
    )
    print(f"  RSS growth over the 2nd half: {growth / 1024:.1f} MiB")
    print(
        f"fresh connections: {fresh.requests:,} PUTs, {fresh.rps:.0f} req/s, "
        f"p99 {fresh.p99_ms:.1f} ms, errors {fresh.non_2xx + fresh.socket_errors}"
    )
    print(f"probe alone:          {alone.summary()}")
    print(f"probe + {slow.opened} slow sockets: {during.summary()}")
    print(f"  slow sockets: {slow}")
    big = sampler.of("big bodies")
    after = sampler.of("small after big")
    print(
        f"big bodies: {big_ok}/1100 x 256 KiB OK, RSS peak {_mib(max(big))}; "
        f"after 1,100 small PUTs {_mib(after[-1])} ({small_ok}/1100 OK)"
    )
    if growth > 20 * 1024:
        problems.append(f"RSS grew {growth / 1024:.1f} MiB during steady keep-alive load")
    if during.failures or alone.failures:
        problems.append(f"probe failures: {during.failures[:5]} {alone.failures[:5]}")
    if first.non_2xx or second.non_2xx or fresh.non_2xx:
        problems.append("non-2xx answers under load")
    if after[-1] > min(big) + 64 * 1024:
        problems.append("RSS did not come back after the journal rolled over the big bodies")
    print("\nverdict:", problems or "OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
