"""The state file: an append-only, fsynced change log (JSON lines) compacted into a snapshot.

Layout: line 1 is `{"type": "snapshot", "version": 1, "credentials": [...]}`; every later line
is `{"type": "put", "credential": {...}}` or `{"type": "delete", "id": "..."}`. A write appends
one line and fsyncs it (O(1)); after `compact_every` changes (or as many as there are
credentials, whichever is larger, so compaction stays amortised O(1) per write) the file is
rewritten as one snapshot (temp file, fsync, atomic rename).

Records hold `encryptedData` (never plaintext); loading decrypts it with the saved passphrase.
A torn LAST line (a crash mid-append: no final newline) is dropped with a warning and cut off;
any other damage raises `StateFileError` naming the file and line, and the file is left alone.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from mockserver.crypto import CryptoError
from mockserver.errors import StateFileError
from mockserver.store import Store, StoredCredential

__all__ = ["StateFile"]

log = logging.getLogger("credkit.state")
VERSION = 1
_FIELDS = ("id", "name", "credentialName", "workspaceId", "encryptedData", "createdMs", "updatedMs")


def _record(c: StoredCredential) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "credentialName": c.credential_name,
        "workspaceId": c.workspace_id,
        "encryptedData": c.encrypted,
        "createdMs": c.created_ms,
        "updatedMs": c.updated_ms,
    }


def _check_record(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("a credential record must be an object")
    for name in _FIELDS:
        if name not in value:
            raise ValueError(f"credential record lacks {name!r}")
    for name in _FIELDS[:5]:
        if not isinstance(value[name], str):
            raise ValueError(f"credential field {name!r} must be a string")
    for name in _FIELDS[5:]:
        if not isinstance(value[name], int) or isinstance(value[name], bool):
            raise ValueError(f"credential field {name!r} must be an integer")
    return value


class StateFile:
    """The store's change sink and its loader."""

    def __init__(self, path: Path, store: Store, *, compact_every: int = 1000) -> None:
        self.path = path
        self.store = store
        self.compact_every = compact_every
        self.pending = 0
        self._fd: int | None = None

    def __repr__(self) -> str:
        return f"StateFile({str(self.path)!r})"

    # -- loading ------------------------------------------------------------------------------

    def load(self) -> list[StoredCredential] | None:
        """The credentials in the file, or None when there is no file (or it is empty)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateFileError(f"Cannot read state file {self.path}: {exc.strerror}.") from exc
        if not raw.strip():
            return None
        lines = raw.split(b"\n")
        complete = raw.endswith(b"\n")
        if complete:
            lines.pop()
        records: dict[str, tuple[int, dict[str, Any]]] = {}
        offset = 0
        for number, line in enumerate(lines, start=1):
            last = number == len(lines)
            try:
                entry = json.loads(line)
                self._apply(entry, number, records)
            except (ValueError, UnicodeDecodeError) as exc:
                if last and not complete and number > 1:
                    log.warning(
                        "State file %s: dropped a torn last record (line %d, %d bytes); "
                        "the server stopped while writing it.",
                        self.path,
                        number,
                        len(line),
                    )
                    self._truncate(offset)
                    break
                raise StateFileError(
                    f"State file {self.path} is corrupt at line {number}: {exc}. "
                    "Fix or remove the file (it was left untouched)."
                ) from None
            offset += len(line) + 1
        else:
            if not complete:
                self._truncate(len(raw), newline=True)
        return [self._decrypt(number, record) for number, record in records.values()]

    def _apply(
        self, entry: Any, number: int, records: dict[str, tuple[int, dict[str, Any]]]
    ) -> None:
        if not isinstance(entry, dict) or "type" not in entry:
            raise ValueError("not a state record")
        kind = entry["type"]
        if number == 1:
            if kind != "snapshot":
                raise ValueError("the first line must be a snapshot")
            if entry.get("version") != VERSION:
                raise ValueError(f"unsupported version {entry.get('version')!r}")
            if not isinstance(entry.get("credentials"), list):
                raise ValueError("snapshot has no credentials list")
            for value in entry["credentials"]:
                record = _check_record(value)
                records[record["id"]] = (number, record)
        elif kind == "put":
            record = _check_record(entry.get("credential"))
            records[record["id"]] = (number, record)
        elif kind == "delete":
            if not isinstance(entry.get("id"), str):
                raise ValueError("delete record has no id")
            records.pop(entry["id"], None)
        else:
            raise ValueError(
                f"unknown record type {kind!r}" if isinstance(kind, str) else "bad type"
            )

    def _decrypt(self, number: int, record: dict[str, Any]) -> StoredCredential:
        try:
            data = json.loads(self.store.encryptor.decrypt(record["encryptedData"]))
        except (CryptoError, ValueError):
            raise StateFileError(
                f"State file {self.path}, line {number}: credential {record['id']!r} does not "
                "decrypt with this passphrase. Start with the --secret-key it was written with "
                "(or its .key file beside it)."
            ) from None
        if not isinstance(data, dict):
            raise StateFileError(f"State file {self.path}, line {number}: data is not an object.")
        return StoredCredential(
            id=record["id"],
            name=record["name"],
            credential_name=record["credentialName"],
            workspace_id=record["workspaceId"],
            data=data,
            encrypted=record["encryptedData"],
            created_ms=record["createdMs"],
            updated_ms=record["updatedMs"],
        )

    def _truncate(self, size: int, newline: bool = False) -> None:
        with self.path.open("r+b") as fh:
            fh.truncate(size)
            if newline:
                fh.seek(size)
                fh.write(b"\n")
            fh.flush()
            os.fsync(fh.fileno())

    # -- writing ------------------------------------------------------------------------------

    def _append(self, entry: dict[str, Any]) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(self._fd, orjson.dumps(entry) + b"\n")
            os.fsync(self._fd)
        except OSError as exc:
            raise StateFileError(f"Cannot write state file {self.path}: {exc.strerror}.") from exc
        self.pending += 1
        if self.pending >= max(self.compact_every, len(self.store)):
            self.compact(self.store.all())

    def record_put(self, credential: StoredCredential) -> None:
        self._append({"type": "put", "credential": _record(credential)})

    def record_delete(self, credential_id: str) -> None:
        self._append({"type": "delete", "id": credential_id})

    def record_snapshot(self, credentials: Iterable[StoredCredential]) -> None:
        self.compact(credentials)

    def compact(self, credentials: Iterable[StoredCredential]) -> None:
        """Rewrite the file as one snapshot line, atomically."""
        snapshot = {
            "type": "snapshot",
            "version": VERSION,
            "credentials": [_record(c) for c in credentials],
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(orjson.dumps(snapshot) + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise StateFileError(f"Cannot write state file {self.path}: {exc.strerror}.") from exc
        self.close_fd()
        self.pending = 0

    def close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        """Compact what is pending and release the file (on shutdown)."""
        if self.pending:
            self.compact(self.store.all())
        self.close_fd()
