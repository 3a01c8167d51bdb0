"""`mockserver.faults`: matching, counting, clearing."""

from __future__ import annotations

from mockserver.faults import FaultSet


def test_glob_method_and_count() -> None:
    faults = FaultSet()
    assert not faults and faults.take("GET", "/x") is None
    faults.add(method="put", path="/api/v1/credentials/*", status=503, count=2, latency_ms=0)
    assert faults.take("GET", "/api/v1/credentials/a") is None
    assert faults.take("PUT", "/api/v1/credentials") is None
    first = faults.take("PUT", "/api/v1/credentials/a")
    assert first is not None and first.status == 503
    assert faults.take("PUT", "/api/v1/credentials/b") is not None
    assert faults.take("PUT", "/api/v1/credentials/c") is None and not faults


def test_unlimited_until_cleared_and_first_match_wins() -> None:
    faults = FaultSet()
    faults.add(method="*", path="/api/v1/ping", status=500, count=None, latency_ms=0)
    faults.add(method="*", path="/api/*", status=502, count=None, latency_ms=0)
    for _ in range(5):
        found = faults.take("GET", "/api/v1/ping")
        assert found is not None and found.status == 500
    assert [f["hits"] for f in faults.view()] == [5, 0]
    faults.clear()
    assert faults.view() == []
