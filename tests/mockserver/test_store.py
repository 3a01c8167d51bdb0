"""`mockserver.store`: workspace scoping, merge rules, and no lost update across threads."""

from __future__ import annotations

import sys
import threading

from credkit_core.catalog import MARKER, default_catalog
from credkit_core.crypto import Encryptor
from mockserver.store import Store, format_ms


def make_store() -> Store:
    store = Store(Encryptor("k"), default_catalog())
    return store


def test_format_ms() -> None:
    assert format_ms(0) == "1970-01-01T00:00:00.000Z"
    assert format_ms(1_705_770_000_123) == "2024-01-20T17:00:00.123Z"


def test_workspace_scoping() -> None:
    store = make_store()
    made = store.create("w1", "n", "openAIApi", {"openAIApiKey": "s"})
    assert store.get(made.id, "w1") is made and store.get(made.id, "w2") is None
    assert store.update(made.id, "w2", name="x") is None and not store.delete(made.id, "w2")
    assert store.list("w2") == [] and store.list("w1", ["openAIApi"]) == [made]


def test_update_merges_and_keeps_marked_values() -> None:
    store = make_store()
    made = store.create("w", "n", "openAIApi", {"openAIApiKey": "secret", "other": {"a": 1}})
    updated = store.update(
        made.id, "w", patch={"openAIApiKey": MARKER, "other": {"b": 2}, "x": None}
    )
    assert updated is not None
    assert updated.data == {"openAIApiKey": "secret", "other": {"b": 2}, "x": None}
    assert updated.name == "n" and updated.encrypted != made.encrypted
    assert made.data == {"openAIApiKey": "secret", "other": {"a": 1}}  # copy on write


def test_threads_updating_distinct_keys_lose_nothing() -> None:
    store = make_store()
    made = store.create("w", "n", "openAIApi", {})
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        barrier.wait()
        for i in range(25):
            store.update(made.id, "w", patch={f"t{n}-{i}": i})

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: without the lock this loses ~half
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    final = store.get(made.id, "w")
    assert final is not None and len(final.data) == 200
