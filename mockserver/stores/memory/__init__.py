"""The memory store: this process's namespaces (`MemoryBackend`, `MemorySpace`), and with
`--state-file` the `default` namespace's file (`statefile`: the append log and its snapshots;
`stateload`: reading it back; `groupcommit`: one fsync shared by concurrent writes)."""

from __future__ import annotations

from mockserver.stores.memory.backend import MemoryBackend
from mockserver.stores.memory.space import MemorySpace

__all__ = ["MemoryBackend", "MemorySpace"]
