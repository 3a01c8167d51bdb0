"""Reading the state file back (`mockserver.stores.memory.statefile`: its layout, writing).

Records hold `encryptedData` (never plaintext); loading decrypts it with the saved passphrase.
A torn LAST line (a crash mid-append: no final newline) is dropped with a warning and cut off;
any other damage raises `StateFileError` naming the file and line, and the file is left alone.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from credkit_core.crypto import CryptoError, Encryptor
from credkit_core.errors import StateFileError
from mockserver.store import StoredCredential

__all__ = ["VERSION", "StateLoader", "record_of"]

log = logging.getLogger("credkit.state")
VERSION = 1
_FIELDS = ("id", "name", "credentialName", "workspaceId", "encryptedData", "createdMs", "updatedMs")


def record_of(c: StoredCredential) -> dict[str, Any]:
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


class StateLoader:
    """The credentials held by the state file at `path`. After `load`, `snapshot_bytes` is the
    size of its snapshot line (where the log begins) and `log_records` the records after it."""

    def __init__(self, path: Path, encryptor: Encryptor) -> None:
        self.path = path
        self.encryptor = encryptor
        self.snapshot_bytes = 0
        self.log_records = 0

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
            if number == 1:
                self.snapshot_bytes = offset
            else:
                self.log_records += 1
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
            data = json.loads(self.encryptor.decrypt(record["encryptedData"]))
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
