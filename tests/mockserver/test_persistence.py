"""The state file (`mockserver.stores.memory.statefile`): restart, compaction, corruption, torn
records."""

from __future__ import annotations

import asyncio
import errno
import itertools
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from credkit_core.errors import StateFileError
from mockserver.passphrase import key_file_for
from tests.inprocess import asgi_client
from tests.mockserver.conftest import FULL

T = TypeVar("T")

CRED = "/api/v1/credentials/cred-789"


def start(make_app: Any, make_client: Any, path: Path, **values: Any) -> Any:
    app = make_app(state_file=path, **values)
    return app, make_client(app)


def test_changes_survive_a_restart_without_a_clean_shutdown(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path)
    client.put(
        CRED,
        json={"name": "kept", "plainDataObj": {"openAIApiKey": "sk-persisted-secret"}},
        headers=FULL,
    )
    made = client.post(
        "/api/v1/credentials",
        json={"name": "new", "credentialName": "openAIApi", "plainDataObj": {"a": 1}},
        headers=FULL,
    ).json()
    client.delete("/api/v1/credentials/4a23d596-2217-4ead-9bc4-96cb8e81973e", headers=FULL)
    text = path.read_text()
    assert "sk-persisted-secret" not in text and "U2FsdGVkX1" in text
    assert len(text.splitlines()) == 4  # snapshot + put + put + delete

    app, client = start(make_app, make_client, path)
    assert client.get(CRED, headers=FULL).json()["name"] == "kept"
    assert app.state.store.find("cred-789").data == {"openAIApiKey": "sk-persisted-secret"}
    assert client.get(f"/api/v1/credentials/{made['id']}", headers=FULL).status_code == 200
    assert (
        client.get(
            "/api/v1/credentials/4a23d596-2217-4ead-9bc4-96cb8e81973e", headers=FULL
        ).status_code
        == 404
    )


def test_state_file_wins_over_fixtures(tmp_path: Path, make_app: Any, make_client: Any) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path)
    client.put(CRED, json={"name": "from state"}, headers=FULL)
    fixtures = tmp_path / "f.yaml"
    fixtures.write_text("credentials: []\n")
    _app, client = start(make_app, make_client, path, fixtures=fixtures)
    assert client.get(CRED, headers=FULL).json()["name"] == "from state"


def test_generated_passphrase_is_kept_beside_the_file(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path, secret_key=None)
    client.put(CRED, json={"name": "x"}, headers=FULL)
    assert key_file_for(path).exists()
    app, _ = start(make_app, make_client, path, secret_key=None)
    assert app.state.store.find("cred-789").name == "x"
    assert "saved" not in app.runtime.passphrase_source


def test_wrong_passphrase_is_reported(tmp_path: Path, make_app: Any, make_client: Any) -> None:
    path = tmp_path / "state.jsonl"
    start(make_app, make_client, path)
    with pytest.raises(StateFileError, match=r"line 1.*does not decrypt"):
        make_app(state_file=path, secret_key="another-key")


def test_compaction_keeps_the_file_small(tmp_path: Path, make_app: Any, make_client: Any) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path, compact_every=1)
    for i in range(20):
        client.put(CRED, json={"name": f"n{i}"}, headers=FULL)
    lines = path.read_text().splitlines()
    assert len(lines) <= 8  # compacted once the log holds as many records as the store
    assert json.loads(lines[0])["type"] == "snapshot"
    _app, client = start(make_app, make_client, path)
    assert client.get(CRED, headers=FULL).json()["name"] == "n19"


def test_reset_and_shutdown_write_a_snapshot(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    app, client = start(make_app, make_client, path)
    client.put(CRED, json={"name": "x"}, headers=FULL)
    client.post("/__admin/reset")
    assert len(path.read_text().splitlines()) == 1
    client.put(CRED, json={"name": "y"}, headers=FULL)
    app.state.persistence.close()
    assert len(path.read_text().splitlines()) == 1


def test_a_torn_last_record_is_dropped_with_a_warning(
    tmp_path: Path, make_app: Any, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path)
    client.put(CRED, json={"name": "complete"}, headers=FULL)
    with path.open("ab") as fh:
        fh.write(b'{"type": "put", "credential": {"id": "cred-789", "na')
    caplog.set_level(logging.WARNING, logger="credkit")
    _, client = start(make_app, make_client, path)
    assert any("torn" in r.getMessage() and "line 3" in r.getMessage() for r in caplog.records)
    assert client.get(CRED, headers=FULL).json()["name"] == "complete"
    client.put(CRED, json={"name": "after"}, headers=FULL)
    _app, client = start(make_app, make_client, path)
    assert client.get(CRED, headers=FULL).json()["name"] == "after"


@pytest.mark.parametrize(
    ("damage", "line"),
    [
        (lambda lines: [lines[0], "not json", lines[1]], 2),
        (lambda lines: [lines[0], '{"type": "teleport"}', lines[1]], 2),
        (lambda lines: [lines[0], '{"type": "put", "credential": {"id": "x"}}'], 2),
        (lambda lines: ['{"type": "put"}', *lines[1:]], 1),
        (lambda lines: [lines[0][: len(lines[0]) // 2], *lines[1:]], 1),
        (lambda lines: [lines[0], '{"type": "delete"}', lines[1]], 2),
    ],
)
def test_corruption_is_reported_with_file_and_line(
    tmp_path: Path, make_app: Any, make_client: Any, damage: Any, line: int
) -> None:
    path = tmp_path / "state.jsonl"
    _, client = start(make_app, make_client, path)
    client.put(CRED, json={"name": "x"}, headers=FULL)
    damaged = "\n".join(damage(path.read_text().splitlines())) + "\n"
    path.write_text(damaged)
    with pytest.raises(StateFileError) as caught:
        make_app(state_file=path)
    assert str(path) in str(caught.value) and f"line {line}" in str(caught.value)
    assert caught.value.exit_code == 2
    assert path.read_text() == damaged  # never silently replaced


def test_empty_file_starts_from_fixtures(tmp_path: Path, make_app: Any) -> None:
    path = tmp_path / "state.jsonl"
    path.write_text("")
    app = make_app(state_file=path)
    assert len(app.state.store) == 7 and path.read_text().startswith('{"type":"snapshot"')


# -- group commit ------------------------------------------------------------------------------


class Disk:
    """os.fsync, watched: how many calls, how many bytes of the state file each one covered,
    and (through `wrap`) that no answer was sent before an fsync covering its change ended."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
        self.path = path
        self.real_fsync = os.fsync
        self.lock = threading.Lock()
        self.covered: list[int] = []  # file size when each fsync began (in call order)
        self.durable = 0  # bytes of the log covered by a finished fsync
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail_with: int | None = None
        self.early: list[str] = []  # answers sent before their change was on disk
        monkeypatch.setattr(os, "fsync", self.fsync)

    def fsync(self, fd: int) -> None:
        size = os.fstat(fd).st_size
        self.started.set()
        if not self.release.wait(10):
            raise AssertionError("the test never released the fsync")
        if self.fail_with is not None:
            raise OSError(self.fail_with, os.strerror(self.fail_with))
        self.real_fsync(fd)
        with self.lock:
            self.covered.append(size)
            self.durable = max(self.durable, size)

    def wrap(self, app: Any) -> Any:
        async def watched(scope: dict[str, Any], receive: Any, send: Any) -> None:
            tag = dict(scope.get("headers", [])).get(b"x-tag", b"").decode()

            async def checked(message: dict[str, Any]) -> None:
                if tag and message["type"] == "http.response.start" and message["status"] == 200:
                    data = self.path.read_bytes()
                    end = data.index(b"\n", data.index(f'"name":"{tag}"'.encode()))
                    if end >= self.durable:
                        self.early.append(tag)
                await send(message)

            await app(scope, receive, checked)

        watched.state = app.state  # type: ignore[attr-defined]
        return watched


def put_named(http: httpx.AsyncClient, name: str) -> Any:
    """A coroutine: PUT cred-789's name, tagged so `Disk.wrap` can find its record."""
    return http.put(CRED, json={"name": name}, headers={**FULL, "x-tag": name})


def together(app: Any, scenario: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run `scenario(http)` on a fresh event loop: concurrent requests to `app`, in process."""

    async def run() -> T:
        async with asgi_client(app) as http:
            return await scenario(http)

    return asyncio.run(run())


def test_concurrent_changes_share_fsyncs_and_each_answer_follows_its_fsync(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)
    disk = Disk(monkeypatch, path)
    disk.release.clear()  # the first fsync waits until every request has written its change

    async def scenario(http: httpx.AsyncClient) -> list[Any]:
        tasks = [asyncio.ensure_future(put_named(http, f"n{i}")) for i in range(20)]
        while not disk.started.is_set():
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in tasks), "answered while its fsync was still running"
        disk.release.set()
        return await asyncio.gather(*tasks)

    answers = together(disk.wrap(app), scenario)
    assert [r.status_code for r in answers] == [200] * 20
    # the first fsync covered the first change only; the 19 written during it shared one more
    assert len(disk.covered) == 2, disk.covered
    assert disk.early == []
    assert app.state.persistence.synced == app.state.persistence.written


def test_the_log_keeps_the_order_changes_were_made_in(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)
    disk = Disk(monkeypatch, path)

    async def scenario(http: httpx.AsyncClient) -> list[Any]:
        return await asyncio.gather(*(put_named(http, f"o{i}") for i in range(30)))

    answers = together(disk.wrap(app), scenario)
    assert all(r.status_code == 200 for r in answers) and disk.early == []
    assert len(disk.covered) < 30
    puts = [json.loads(line)["credential"] for line in path.read_text().splitlines()[1:]]
    # the records in the order the store applied the changes (requests start in this order)
    assert [p["name"] for p in puts] == [f"o{i}" for i in range(30)]
    assert [p["updatedMs"] for p in puts] == sorted(p["updatedMs"] for p in puts)
    assert [p["encryptedData"] for p in puts] == [r.json()["encryptedData"] for r in answers]
    assert app.state.store.find("cred-789").name == "o29"
    restarted = make_app(state_file=path)
    assert restarted.state.store.find("cred-789").name == "o29"


def test_a_failed_fsync_answers_503_and_refuses_later_changes(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)
    disk = Disk(monkeypatch, path)
    client = make_client(disk.wrap(app))
    assert client.put(CRED, json={"name": "saved"}, headers=FULL).status_code == 200
    disk.fail_with = errno.EIO
    disk.started.clear()
    disk.release.clear()  # the failing fsync waits until all five changes are written
    secret = "sk-never-in-an-error-message"

    async def scenario(http: httpx.AsyncClient) -> list[Any]:
        body = {"plainDataObj": {"openAIApiKey": secret}}
        tasks = [asyncio.ensure_future(http.put(CRED, json=body, headers=FULL)) for _ in range(5)]
        while not disk.started.is_set():
            await asyncio.sleep(0.001)
        await asyncio.sleep(0.05)
        disk.release.set()
        return await asyncio.gather(*tasks)

    failed = together(app, scenario)
    for answer in failed:  # none answered as a success: each waited for the fsync that failed
        assert answer.status_code == 503
        body = answer.json()
        assert set(body) == {"statusCode", "success", "message", "stack"}
        assert (body["statusCode"], body["success"], body["stack"]) == (503, False, {})
        assert str(path) in body["message"] and "fsync failed" in body["message"]
        assert "may be lost" in body["message"] and secret not in answer.text
    disk.fail_with = None  # a later fsync that succeeds proves nothing: still refused
    refused = client.put(CRED, json={"name": "refused"}, headers=FULL)
    assert refused.status_code == 503 and "nothing was changed" in refused.json()["message"]
    assert app.state.store.find("cred-789").name == "saved"
    created = client.post(
        "/api/v1/credentials",
        json={"name": "x", "credentialName": "openAIApi", "plainDataObj": {}},
        headers=FULL,
    )
    assert created.status_code == 503 and len(app.state.store) == 7
    assert client.get(CRED, headers=FULL).status_code == 200  # reads still work
    restarted = make_app(state_file=path)
    assert restarted.state.store.find("cred-789").name == "saved"


def test_a_failed_append_changes_nothing_and_leaves_no_partial_record(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)
    client = make_client(app)
    assert client.put(CRED, json={"name": "first"}, headers=FULL).status_code == 200
    before = path.read_bytes()
    real_write = os.write
    state_fd = app.state.persistence._fd

    def short_then_full_disk(fd: int, data: Any) -> int:
        if fd != state_fd:
            return real_write(fd, data)
        if len(path.read_bytes()) == len(before):
            return real_write(fd, bytes(data)[:10])  # a short write, then ENOSPC
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", short_then_full_disk)
    answer = client.put(CRED, json={"name": "second"}, headers=FULL)
    monkeypatch.setattr(os, "write", real_write)
    assert answer.status_code == 503 and str(path) in answer.json()["message"]
    assert "nothing was changed" in answer.json()["message"]
    assert path.read_bytes() == before
    assert client.get(CRED, headers=FULL).json()["name"] == "first"
    # not poisoned: the log is intact, so the next change is saved
    assert client.put(CRED, json={"name": "third"}, headers=FULL).status_code == 200
    assert make_app(state_file=path).state.store.find("cred-789").name == "third"


def test_compaction_under_concurrent_writes_loses_nothing(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path, compact_every=1)  # compacts every 7 changes (7 stored)
    disk = Disk(monkeypatch, path)

    async def scenario(http: httpx.AsyncClient) -> list[Any]:
        return await asyncio.gather(
            *(http.put(CRED, json={"plainDataObj": {f"k{i}": i}}, headers=FULL) for i in range(40))
        )

    for _ in range(3):
        answers = together(app, scenario)
        assert all(r.status_code == 200 for r in answers)
    assert len(disk.covered) < 120
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["type"] == "snapshot" and len(lines) <= 8
    assert not path.with_name(path.name + ".tmp").exists()
    data = make_app(state_file=path).state.store.find("cred-789").data
    assert all(data[f"k{i}"] == i for i in range(40))


def test_a_read_waits_for_the_changes_it_could_see_to_be_on_disk(
    tmp_path: Path, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)
    disk = Disk(monkeypatch, path)
    disk.release.clear()

    async def scenario(http: httpx.AsyncClient) -> tuple[Any, Any]:
        put = asyncio.ensure_future(put_named(http, "seen"))
        while not disk.started.is_set():
            await asyncio.sleep(0.001)
        get = asyncio.ensure_future(http.get(CRED, headers=FULL))
        await asyncio.sleep(0.05)
        assert not get.done(), "a read showed a change that was not on disk yet"
        disk.release.set()
        return await put, await get

    put, get = together(app, scenario)
    assert put.status_code == 200 and get.json()["name"] == "seen"
    assert disk.covered and disk.durable >= len(path.read_bytes())


def test_a_compaction_that_cannot_start_is_postponed_and_nothing_is_lost(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path, compact_every=1)
    client = make_client(app)
    real_open = os.open

    def no_temp_file(name: Any, *args: Any, **kwargs: Any) -> int:
        if str(name).endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_temp_file)
    for i in range(10):
        assert client.put(CRED, json={"name": f"p{i}"}, headers=FULL).status_code == 200
    assert len(path.read_text().splitlines()) == 11  # not compacted: the log grew
    monkeypatch.setattr(os, "open", real_open)
    for i in range(10, 20):
        assert client.put(CRED, json={"name": f"p{i}"}, headers=FULL).status_code == 200
    assert len(path.read_text().splitlines()) < 11  # compacted once it could
    assert make_app(state_file=path).state.store.find("cred-789").name == "p19"


# -- compaction by size ------------------------------------------------------------------------


def big_put(client: Any, n: int, size: int) -> Any:
    """PUT cred-789 with a `size`-byte value: each put record carries its whole ciphertext."""
    body = {"plainDataObj": {"blob": f"{n:04d}" + "x" * size}}
    answer = client.put(CRED, json=body, headers=FULL)
    assert answer.status_code == 200, answer.text
    return answer


def test_rewriting_a_large_credential_keeps_the_file_bounded_and_loses_nothing(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)  # compact_every=1000: far more records than this test writes
    state_file = app.state.persistence
    floor = state_file.compact_bytes = 64 * 1024  # 8 MiB by default, scaled down
    client = make_client(app)
    startup = state_file.compactions
    peak = record = 0
    snapshots: list[int] = []  # the size of each snapshot written
    for n in range(120):
        before = path.stat().st_size
        big_put(client, n, 20_000)
        size = path.stat().st_size
        peak = max(peak, size)
        if state_file.compactions > startup + len(snapshots):
            snapshots.append(len(path.read_bytes().split(b"\n", 1)[0]) + 1)
        else:
            record = size - before  # a put record: ~27 KB, the whole ciphertext
    appended = 120 * record  # ~3.3 MB: the file's size without compaction by size
    biggest = max(snapshots)
    assert 2 * biggest < floor < 3 * record  # so the floor is the limit here
    # at most: a snapshot, plus less than the limit of log, plus the record that crossed it
    assert peak < biggest + floor + record, (peak, biggest, record)
    # O(1) amortised: a snapshot only after at least `floor` (> 2 x snapshot) bytes of log
    assert appended // (floor + record) <= len(snapshots) <= appended // floor, len(snapshots)
    assert 2 * sum(snapshots) <= appended
    restarted = make_app(state_file=path).state.store.find("cred-789")
    assert restarted.data["blob"].startswith("0119")


def test_the_size_trigger_scales_with_the_snapshot(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path, seed=200)  # a ~77 KB snapshot, far above this floor
    state_file = app.state.persistence
    state_file.compact_bytes = 1024
    client = make_client(app)
    snapshot = path.stat().st_size
    startup = state_file.compactions
    log = record = 0  # bytes of log before the PUT that compacted; a put record's size
    for n in range(200):
        big_put(client, n, 2_000)
        if state_file.compactions > startup:
            break
        record = path.stat().st_size - snapshot - log
        log += record
    assert state_file.compactions == startup + 1 and len(path.read_text().splitlines()) == 1
    # compacted by the PUT whose record took the log past twice the snapshot, not before
    assert log > 40 * 1024 and log < 2 * snapshot <= log + record, (log, snapshot, record)


def test_small_changes_do_not_trigger_the_size_compaction(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)
    client = make_client(app)
    startup = app.state.persistence.compactions
    for i in range(50):
        client.put(CRED, json={"name": f"s{i}"}, headers=FULL)
    assert app.state.persistence.compactions == startup
    assert len(path.read_text().splitlines()) == 51


def test_the_log_already_in_the_file_counts_after_a_restart(
    tmp_path: Path, make_app: Any, make_client: Any
) -> None:
    path = tmp_path / "state.jsonl"
    client = make_client(make_app(state_file=path))
    for n in range(10):
        big_put(client, n, 10_000)
    assert len(path.read_text().splitlines()) == 11
    app = make_app(state_file=path)
    state_file = app.state.persistence
    assert state_file.pending == 10
    state_file.compact_bytes = 64 * 1024  # the ~140 KB of log from before the restart is due
    startup = state_file.compactions
    big_put(make_client(app), 10, 10_000)
    assert state_file.compactions == startup + 1
    assert len(path.read_text().splitlines()) == 1
    assert make_app(state_file=path).state.store.find("cred-789").data["blob"][:4] == "0010"


def test_a_size_compaction_that_cannot_start_is_retried_only_after_as_many_bytes_again(
    tmp_path: Path, make_app: Any, make_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.jsonl"
    app = make_app(state_file=path)
    state_file = app.state.persistence
    state_file.compact_bytes = 32 * 1024
    client = make_client(app)
    real_open = os.open
    attempts = []

    def no_temp_file(name: Any, *args: Any, **kwargs: Any) -> int:
        if str(name).endswith(".tmp"):
            attempts.append(path.stat().st_size)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_temp_file)
    for n in range(60):  # ~27 KB a record: the floor is crossed every ~1.2 records
        big_put(client, n, 20_000)
    grown = path.stat().st_size
    assert grown > 60 * 20_000  # not compacted: the log grew, nothing was refused
    # a failing snapshot costs O(1) per byte too: tried again only after 32 KiB more
    assert 3 <= len(attempts) <= grown // (32 * 1024) + 1, (len(attempts), grown)
    assert all(b - a >= 32 * 1024 for a, b in itertools.pairwise(attempts))
    monkeypatch.setattr(os, "open", real_open)
    for n in range(60, 63):
        big_put(client, n, 20_000)
    assert path.stat().st_size < 4 * 32 * 1024  # compacted once it could
    assert make_app(state_file=path).state.store.find("cred-789").data["blob"][:4] == "0062"
