"""`credkit serve --reload`: re-read the fixtures file when it changes.

A background task of the running server polls the file's modification time, size and inode
(every half second; no extra dependency, works on any filesystem and with editors that replace
the file). When they change it loads the file again: valid, it replaces the credentials and the
API keys with the new ones (as `POST /__admin/reset` would, but the journal and injected faults
stay); invalid or unreadable, it keeps serving the previous state and logs one line naming the
file and the problem (never a value from the file). Every reload runs on the event loop without
an `await` between reading the new fixtures and swapping them in, so no request sees half of
each.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from credkit_core.errors import CredkitError
from credkit_core.fixtures.loader import load_fixtures
from mockserver.runtime import Runtime
from mockserver.stores.memory.space import MemorySpace

__all__ = ["FixturesWatcher"]

log = logging.getLogger("credkit")

Signature = tuple[int, int, int] | None


def _signature(path: Path) -> Signature:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


class FixturesWatcher:
    """Watches the fixtures file at `path`; `check()` reloads it into `space` (the `default`
    namespace) once it changed. Namespaces made afterwards start from it too."""

    def __init__(
        self, runtime: Runtime, space: MemorySpace, path: Path, interval: float = 0.5
    ) -> None:
        self.runtime = runtime
        self.space = space
        self.path = path
        self.interval = interval
        self.seen = _signature(path)
        self.reloads = 0
        self.failures = 0

    def check(self) -> bool:
        """Reload when the file changed since the last look; True when the state was replaced."""
        now = _signature(self.path)
        if now == self.seen:
            return False
        self.seen = now
        return self.reload()

    def reload(self) -> bool:
        space = self.space
        try:
            fixtures = load_fixtures(self.path, catalog=self.runtime.catalog)
        except (CredkitError, OSError) as exc:
            self.failures += 1
            log.error(
                "Fixtures file %s changed but cannot be loaded, so the mock keeps its previous "
                "state (%d credentials): %s Fix the file and save it again to reload.",
                self.path,
                len(space.store),
                exc,
            )
            return False
        try:
            space.refixture(fixtures)
        except CredkitError as exc:  # a state file that refuses the change: nothing changed
            self.failures += 1
            log.error("Fixtures file %s changed but the reload was refused: %s", self.path, exc)
            return False
        self.runtime.fixtures = fixtures
        self.reloads += 1
        log.warning(
            "Reloaded fixtures from %s: %d credentials, %d API keys.",
            self.path,
            len(space.store),
            len(fixtures.api_keys),
        )
        return True

    async def run(self) -> None:
        """Poll until cancelled (the server's shutdown)."""
        while True:
            await asyncio.sleep(self.interval)
            self.check()
