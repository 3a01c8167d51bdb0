"""Slow clients do not block others: while hundreds of sockets dribble headers byte by byte,
normal requests keep being answered. (~15 s; the soak script bench/soak.py runs the long version
and measures the latency.)"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests import live
from tests.hardening.slowclients import probe, slowloris_in_thread


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[live.LiveServer]:
    log = tmp_path_factory.mktemp("slow") / "server.log"
    with live.running(log, "--log-level", "warning") as running:
        yield running


@pytest.mark.slow
@pytest.mark.e2e
def test_slowloris_does_not_block_normal_requests(server: live.LiveServer) -> None:
    thread, slow = slowloris_in_thread(server.url, 300, 10)
    time.sleep(2)  # the slow sockets are open and dribbling
    during = probe(server.url, 5)
    fresh = probe(server.url, 2, fresh_connections=True)
    thread.join(timeout=30)
    print(f"slow: {slow}\nkeep-alive probe: {during.summary()}\nfresh probe: {fresh.summary()}")
    assert slow.opened >= 250 and slow.bytes_sent > 0
    assert not during.failures and not fresh.failures
    assert len(during.latencies_ms) > 50 and len(fresh.latencies_ms) > 10
    assert server.alive()
