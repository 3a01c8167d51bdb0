"""Injected faults: "the next COUNT requests matching METHOD and PATH get STATUS after MS".

Set through `POST /__admin/faults`. `path` is exact or a glob (`/api/v1/credentials/*`); `method`
is a method or `*`. A fault with a status answers an error-shaped body with that status (any
status, it need not conform to the spec); a fault with only `latencyMs` delays the request and
lets it through. `count` absent means every matching request until `DELETE /__admin/faults`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

__all__ = ["Fault", "FaultSet"]


@dataclass(slots=True)
class Fault:
    id: int
    method: str
    path: str
    status: int | None
    remaining: int | None
    latency_ms: float
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method != "*" and self.method != method:
            return False
        return self.path == path or fnmatchcase(path, self.path)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "count": self.remaining,
            "latencyMs": self.latency_ms,
            "hits": self.hits,
        }


class FaultSet:
    """The active faults; `take` finds and consumes the first that matches a request."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._faults)

    def add(
        self, *, method: str, path: str, status: int | None, count: int | None, latency_ms: float
    ) -> Fault:
        with self._lock:
            fault = Fault(self._next_id, method.upper(), path, status, count, latency_ms)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def remove(self, fault_id: int) -> bool:
        """Remove the fault with this id; False when there is none."""
        with self._lock:
            for fault in self._faults:
                if fault.id == fault_id:
                    self._faults.remove(fault)
                    return True
        return False

    def view(self) -> list[dict[str, Any]]:
        return [f.view() for f in self._faults]

    def take(self, method: str, path: str) -> Fault | None:
        if not self._faults:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None
