"""The state file: an append-only change log (JSON lines), group-committed, compacted into a
snapshot.

Layout: line 1 is `{"type": "snapshot", "version": 1, "credentials": [...]}`; every later line
is `{"type": "put", "credential": {...}}` or `{"type": "delete", "id": "..."}`.

Durability by group commit: each change is appended (written, not fsynced) at once, in the
order changes happen; before the mock answers, the request awaits `StateFile.durable()`, one
shared fsync run in a worker thread that covers every record appended before it started
(records appended meanwhile wait for the next one). So an answered change is on disk, yet one
fsync serves many concurrent requests and the event loop never waits for the disk.

Compaction is due after max(`compact_every`, number of credentials) records, or once the log
holds more than max(`compact_bytes`, 2 x the snapshot) bytes (each put record carries the
whole ciphertext: one large credential rewritten would grow the file by hundreds of MB). A
snapshot costs O(state) and follows at least that much appended again: amortised O(1) per
byte. The durable point is then a compaction instead of an fsync: the snapshot goes to a temp
file, later appends follow it there, and the worker fsyncs it and renames it over the state
file (atomic) before anything it holds is answered.

Records hold `encryptedData` (never plaintext). Reading the file back (torn last records,
corruption reports) is `mockserver.stores.memory.stateload`.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from credkit_core.errors import StateFileError
from mockserver.store import Store, StoredCredential
from mockserver.stores.memory.groupcommit import GroupCommit
from mockserver.stores.memory.stateload import VERSION, StateLoader, record_of

__all__ = ["COMPACT_BYTES", "StateFile"]

log = logging.getLogger("credkit.state")
COMPACT_BYTES = 8 * 1024 * 1024  # the least log size (bytes) that makes compaction due


class StateFile:
    """The store's change sink and its loader."""

    def __init__(
        self,
        path: Path,
        store: Store,
        *,
        compact_every: int = 1000,
        compact_bytes: int = COMPACT_BYTES,
    ) -> None:
        self.path = path
        self.store = store
        self.compact_every = compact_every
        self.compact_bytes = compact_bytes
        self.compactions = 0  # snapshots written (by `compact` or a group-commit compaction)
        self.pending = 0  # records appended since the last compaction
        self.written = 0  # records appended (ever): the log's sequence number
        self.synced = 0  # of those, how many are known to be on disk
        self.failure: str | None = None  # set when the file can no longer be trusted
        self._fd: int | None = None
        self._size = 0  # bytes in the file behind _fd (to cut off a partial append)
        self._log_start = 0  # bytes of that file's snapshot line: the log begins there
        self._tmp = path.with_name(path.name + ".tmp")
        self._commits = GroupCommit("credkit-state-fsync")
        # after a compaction that could not start: the record count and log size to retry at
        self._retry_records = 0
        self._retry_bytes = 0

    def __repr__(self) -> str:
        return f"StateFile({str(self.path)!r})"

    # -- loading ------------------------------------------------------------------------------

    def load(self) -> list[StoredCredential] | None:
        """The credentials in the file, or None when there is no file (or it is empty)."""
        loader = StateLoader(self.path, self.store.encryptor)
        credentials = loader.load()
        # the log already in the file counts towards the next compaction
        self._log_start, self.pending = loader.snapshot_bytes, loader.log_records
        return credentials

    @property
    def log_bytes(self) -> int:
        """Bytes appended to the file since its snapshot (0 while the log is not open)."""
        return self._size - self._log_start if self._fd is not None else 0

    def compaction_due(self) -> bool:
        """True when the log has grown enough that a snapshot costs O(1) per byte written."""
        records = max(self.compact_every, len(self.store), self._retry_records)
        limit = max(self.compact_bytes, 2 * self._log_start, self._retry_bytes)
        return self.pending >= records or self.log_bytes >= limit

    # -- writing: appends, group commit, compaction -------------------------------------------
    #
    # `_append` writes a record (no fsync) in the order changes happen, under the store's lock,
    # BEFORE the store changes its memory: a refused or failed append changes nothing. `durable`
    # is the shared durable point: one job at a time runs in a worker thread — an fsync of the
    # log, or (when due) a compaction — and covers every record appended before it started;
    # records appended while it runs wait for the next job. A failed fsync poisons the file
    # (after a failed fsync the kernel may have dropped the dirty pages, so a later fsync that
    # succeeds proves nothing): every waiting and later change is refused until a restart.

    def _fail(self, what: str, exc: OSError) -> None:
        if self.failure is None:
            self.failure = f"{what} failed ({exc.strerror})"
            log.error(
                "State file %s: %s failed (%s); changes are refused until a restart.",
                self.path,
                what,
                exc.strerror,
            )

    def _refuse_if_failed(self) -> None:
        if self.failure is not None:
            raise StateFileError(
                f"The state file {self.path} cannot be written since {self.failure}; nothing "
                "was changed. Restart the mock to accept changes again."
            )

    def _append(self, entry: dict[str, Any]) -> None:
        self._refuse_if_failed()
        line = orjson.dumps(entry) + b"\n"
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                self._size = os.fstat(self._fd).st_size
            _write_all(self._fd, line)
        except OSError as exc:
            if self._fd is not None:
                try:  # a partial record would corrupt the middle of the log: cut it off
                    os.ftruncate(self._fd, self._size)
                except OSError as undo:
                    self._fail("cutting off a partly written record", undo)
            raise StateFileError(
                f"The change could not be saved to the state file {self.path}: writing failed "
                f"({exc.strerror}); nothing was changed."
            ) from exc
        self._size += len(line)
        self.written += 1
        self.pending += 1

    def record_put(self, credential: StoredCredential) -> None:
        self._append({"type": "put", "credential": record_of(credential)})

    def record_delete(self, credential_id: str) -> None:
        self._append({"type": "delete", "id": credential_id})

    def record_snapshot(self, credentials: Iterable[StoredCredential]) -> None:
        """Replace the whole state (reset, load) with `credentials`, durably, now; raise
        `StateFileError` (and change nothing in memory: the store applies it afterwards) when
        the file cannot be written or can no longer be trusted."""
        self._refuse_if_failed()
        self.compact(credentials)

    async def durable(self, upto: int | None = None) -> None:
        """Return once every record appended so far (or the first `upto`) is on disk; raise
        `StateFileError` when that cannot be done. Concurrent callers share the fsyncs."""
        target = self.written if upto is None else upto
        while self.synced < target:
            if self.failure is not None:
                raise StateFileError(
                    f"The change could not be saved to the state file {self.path}: "
                    f"{self.failure}. It may be lost on restart; restart the mock to accept "
                    "changes again."
                )
            await self._commits.join(self._next_point)

    def _next_point(self) -> Callable[[], None] | None:
        """On the event loop, when no durable point runs: the next one, covering every
        record appended so far (a compaction when one is due, else an fsync of the log)."""
        upto = self.written
        if self.synced >= upto or self.failure is not None:
            return None
        if self.compaction_due() and (fd := self._begin_compaction()) is not None:
            return partial(self._finish_compaction, fd, upto)
        if self._fd is None:  # pragma: no cover - records past `synced` went to _fd
            raise StateFileError(f"State file {self.path}: unsaved records but no open log.")
        return partial(self._fsync, self._fd, upto)

    def _fsync(self, fd: int, upto: int) -> None:  # in the worker thread
        try:
            os.fsync(fd)
        except OSError as exc:
            self._fail("fsync", exc)
        else:
            self.synced = max(self.synced, upto)

    def _begin_compaction(self) -> int | None:
        """On the event loop: write the snapshot of the store to the temp file and append
        from now on to it (it becomes the state file when `_finish_compaction` renames it).
        None when the temp file cannot be written: the log stays as it was."""
        data = self._snapshot_line(self.store.all())
        fd = None
        try:
            fd = os.open(self._tmp, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o600)
            _write_all(fd, data)
        except OSError as exc:
            log.warning("State file %s: compaction postponed (%s).", self.path, exc.strerror)
            if fd is not None:
                os.close(fd)
            # not again until as much is appended again: a failing disk costs O(1) per byte too
            self._retry_records = self.pending + self.compact_every
            self._retry_bytes = self.log_bytes + max(self.compact_bytes, len(data))
            return None
        self.close_fd()
        self._fd, self._size, self._log_start, self.pending = fd, len(data), len(data), 0
        self._retry_records = self._retry_bytes = 0
        self.compactions += 1
        return fd

    def _finish_compaction(self, fd: int, upto: int) -> None:  # in the worker thread
        try:
            os.fsync(fd)
            os.replace(self._tmp, self.path)
            self._fsync_dir()
        except OSError as exc:
            # later records went to the temp file only: none of them can be made durable
            self._fail("compaction", exc)
        else:
            self.synced = max(self.synced, upto)

    def _fsync_dir(self) -> None:
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _snapshot_line(self, credentials: Iterable[StoredCredential]) -> bytes:
        records = [record_of(c) for c in credentials]
        return (
            orjson.dumps({"type": "snapshot", "version": VERSION, "credentials": records}) + b"\n"
        )

    def compact(self, credentials: Iterable[StoredCredential]) -> None:
        """Rewrite the file as one snapshot line, atomically, now (startup, reset, shutdown)."""
        self._commits.wait()
        data = self._snapshot_line(credentials)
        renamed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(self._tmp, self.path)
            renamed = True
            self._fsync_dir()
        except OSError as exc:
            if renamed:  # the new file is in place but its name may not be durable
                self.close_fd()
                self._fail("compaction", exc)
                raise StateFileError(
                    f"The state file {self.path} was rewritten but syncing its directory failed "
                    f"({exc.strerror}): after a restart it may hold the old state or the new "
                    "one. Nothing was changed in memory; restart the mock to accept changes "
                    "again."
                ) from exc
            with contextlib.suppress(OSError):  # a half-written temp file is of no use
                os.unlink(self._tmp)
            raise StateFileError(
                f"Cannot write the state file {self.path} ({exc.strerror}); nothing was changed."
            ) from exc
        self.close_fd()
        self.pending, self._log_start, self._retry_records, self._retry_bytes = 0, len(data), 0, 0
        self.synced = self.written
        self.compactions += 1

    def close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        """Compact what is pending and release the file (on shutdown)."""
        self._commits.wait()
        if self.pending:
            self.compact(self.store.all())
        self.close_fd()
        self._commits.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        done = os.write(fd, view)
        if done <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[done:]
