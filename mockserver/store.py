"""The in-memory credential store: a dict keyed by id (O(1) per read and write), scoped by
workspace on every access, with `encryptedData` re-encrypted on every write.

Concurrency: the ASGI handlers call these methods synchronously, with no `await` between the
read and the write of an update, so on one event loop updates are serialised by construction.
Each mutating method also holds a `threading.Lock`, so callers on other threads (a test's
thread, an admin call from a thread pool) cannot interleave either.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from credkit_core.catalog import MARKER, Catalog
from credkit_core.crypto import Encryptor
from credkit_core.fixtures.loader import CredentialSeed
from mockserver.responses import dumps

__all__ = ["ChangeSink", "Store", "StoredCredential", "format_ms", "now_ms"]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@lru_cache(maxsize=8192)
def _format_second(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def format_ms(ms: int) -> str:
    """RFC 3339 UTC with milliseconds: `2024-01-20T17:30:00.000Z`. Cached by the second: an
    update's fresh `updatedDate` is a new millisecond every time, but rarely a new second
    (strftime was ~6% of the instructions of a PUT)."""
    seconds, millis = divmod(ms, 1000)
    return f"{_format_second(seconds)}.{millis:03d}Z"


@dataclass(slots=True)
class StoredCredential:
    id: str
    name: str
    credential_name: str
    workspace_id: str
    data: dict[str, Any]
    encrypted: str
    created_ms: int
    updated_ms: int

    def full(self) -> dict[str, Any]:
        """The seven `Credential` fields (create and update answers)."""
        return {
            "id": self.id,
            "name": self.name,
            "credentialName": self.credential_name,
            "encryptedData": self.encrypted,
            "createdDate": format_ms(self.created_ms),
            "updatedDate": format_ms(self.updated_ms),
            "workspaceId": self.workspace_id,
        }

    def summary(self) -> dict[str, Any]:
        """A `CredentialSummary` (list items): no `encryptedData`, no data."""
        return {
            "id": self.id,
            "name": self.name,
            "credentialName": self.credential_name,
            "createdDate": format_ms(self.created_ms),
            "updatedDate": format_ms(self.updated_ms),
            "workspaceId": self.workspace_id,
        }


class ChangeSink(Protocol):
    """Told about every change (the state file's change log), before the store makes it: a
    sink that raises refuses the change, and the store stays as it was."""

    def record_put(self, credential: StoredCredential) -> None: ...

    def record_delete(self, credential_id: str) -> None: ...

    def record_snapshot(self, credentials: Iterable[StoredCredential]) -> None: ...


class Store:
    """Credentials by id; every lookup names the caller's workspace."""

    def __init__(self, encryptor: Encryptor, catalog: Catalog) -> None:
        self.encryptor = encryptor
        self.catalog = catalog
        self.lock = threading.Lock()
        self.sink: ChangeSink | None = None
        self._by_id: dict[str, StoredCredential] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        return f"Store({len(self)} credentials)"

    def _encrypt(self, data: Mapping[str, Any]) -> str:
        return self.encryptor.encrypt(dumps(data).decode("utf-8"))

    def replace_all(self, credentials: Iterable[StoredCredential], *, record: bool = True) -> None:
        """Drop everything and hold `credentials` instead (reset, load, startup)."""
        with self.lock:
            replacement = {c.id: c for c in credentials}
            if record and self.sink is not None:
                self.sink.record_snapshot(replacement.values())
            self._by_id = replacement

    def from_seeds(self, seeds: Iterable[CredentialSeed]) -> list[StoredCredential]:
        """Stored credentials for fixture seeds (encrypted now, dates from the seed)."""
        out = []
        for seed in seeds:
            data = dict(seed.plain_data)
            out.append(
                StoredCredential(
                    id=seed.id,
                    name=seed.name,
                    credential_name=seed.credential_name,
                    workspace_id=seed.workspace,
                    data=data,
                    encrypted=self._encrypt(data),
                    created_ms=int(seed.created_date.timestamp() * 1000),
                    updated_ms=int(seed.updated_date.timestamp() * 1000),
                )
            )
        return out

    def all(self) -> list[StoredCredential]:
        return list(self._by_id.values())

    def find(self, credential_id: str) -> StoredCredential | None:
        """The credential with this id in ANY workspace, or None: for tests and tools that
        look at the whole store. Requests go through `get`, which is scoped by workspace."""
        return self._by_id.get(credential_id)

    def ids(self) -> set[str]:
        """Every stored id, in any workspace."""
        return set(self._by_id)

    def get(self, credential_id: str, workspace_id: str) -> StoredCredential | None:
        """The credential when it exists in `workspace_id`; another workspace's is None."""
        found = self._by_id.get(credential_id)
        if found is None or found.workspace_id != workspace_id:
            return None
        return found

    def list(self, workspace_id: str, types: Iterable[str] | None = None) -> list[StoredCredential]:
        wanted = set(types) if types else None
        return [
            c
            for c in self._by_id.values()
            if c.workspace_id == workspace_id and (wanted is None or c.credential_name in wanted)
        ]

    def create(
        self, workspace_id: str, name: str, credential_name: str, data: dict[str, Any]
    ) -> StoredCredential:
        with self.lock:
            stamp = now_ms()
            credential = StoredCredential(
                id=str(uuid.uuid4()),
                name=name,
                credential_name=credential_name,
                workspace_id=workspace_id,
                data=data,
                encrypted=self._encrypt(data),
                created_ms=stamp,
                updated_ms=stamp,
            )
            if self.sink is not None:
                self.sink.record_put(credential)
            self._by_id[credential.id] = credential
            return credential

    def update(
        self,
        credential_id: str,
        workspace_id: str,
        *,
        name: str | None = None,
        patch: Mapping[str, Any] | None = None,
    ) -> StoredCredential | None:
        """Apply a PUT: name replaced when given; `patch` shallow-merged; markers keep the
        stored value; updatedDate = now (never earlier than before); fresh ciphertext."""
        with self.lock:
            current = self.get(credential_id, workspace_id)
            if current is None:
                return None
            data = current.data
            if patch:
                data = dict(current.data)
                ctype = self.catalog.get(current.credential_name)
                for key, value in patch.items():
                    # A marker (or a bullet-masked url) keeps the stored value; for a key never
                    # stored there is nothing to keep, so nothing is stored.
                    keep = ctype.keeps_stored(key, value) if ctype is not None else value == MARKER
                    if not keep:
                        data[key] = value
            updated = StoredCredential(
                id=current.id,
                name=current.name if name is None else name,
                credential_name=current.credential_name,
                workspace_id=current.workspace_id,
                data=data,
                encrypted=self._encrypt(data),
                created_ms=current.created_ms,
                updated_ms=max(now_ms(), current.updated_ms, current.created_ms),
            )
            if self.sink is not None:
                self.sink.record_put(updated)
            self._by_id[credential_id] = updated
            return updated

    def put(self, credential: StoredCredential) -> None:
        """Insert or replace `credential` as given (for profiles that write their own way)."""
        with self.lock:
            if self.sink is not None:
                self.sink.record_put(credential)
            self._by_id[credential.id] = credential

    def delete(self, credential_id: str, workspace_id: str) -> bool:
        with self.lock:
            if self.get(credential_id, workspace_id) is None:
                return False
            if self.sink is not None:
                self.sink.record_delete(credential_id)
            del self._by_id[credential_id]
            return True

    def detail(self, credential: StoredCredential) -> dict[str, Any]:
        """A `CredentialDetail`: the summary plus `plainDataObj` redacted by its type (an
        unknown type shows `{}`: nothing can be known to be safe)."""
        out = credential.summary()
        ctype = self.catalog.get(credential.credential_name)
        out["plainDataObj"] = ctype.redact(credential.data) if ctype is not None else {}
        return out
