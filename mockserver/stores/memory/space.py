"""`MemorySpace`: one namespace kept in this process, what the memory store is made of."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from credkit_core.fixtures.loader import CredentialSeed, FixtureSet
from mockserver.auth import KeyRing
from mockserver.faults import FaultSet
from mockserver.journal import Journal
from mockserver.space import Space
from mockserver.store import StoredCredential
from mockserver.stores.memory.statefile import StateFile

__all__ = ["MemorySpace"]


@dataclass(eq=False, slots=True)
class MemorySpace(Space):
    """A namespace kept in this process: its credentials, keys, journal and injected faults,
    the fixtures it started from (`seeds`), with `--state-file` the file (the `default`
    namespace only), and a fixture document loaded by `PUT /__admin/state`."""

    fixtures: FixtureSet
    seeds_for: Callable[[FixtureSet], list[CredentialSeed]]  # `Runtime.seeds`
    journal: Journal = field(default_factory=Journal)
    faults: FaultSet = field(default_factory=FaultSet)
    persistence: StateFile | None = None
    loaded: FixtureSet | None = None
    used: float = 0.0  # time.monotonic() of its last use

    def seeds(self) -> list[StoredCredential]:
        """The fixture credentials (plus `--seed N` generated ones), freshly encrypted."""
        return self.store.from_seeds(self.seeds_for(self.fixtures))

    def reset(self) -> None:
        """Back to the fixtures (keys included); the journal and faults are cleared. With a
        state file, `StateFileError` when it cannot be written, and nothing is changed."""
        self.store.replace_all(self.seeds())  # first: it raises when the snapshot is refused
        self.keyring = KeyRing(self.fixtures.api_keys)
        self.loaded = None
        self.journal.clear()
        self.faults.clear()

    def load(self, loaded: FixtureSet) -> None:
        """`loaded`'s credentials and keys instead of these (journal and faults stay). With a
        state file, `StateFileError` when it cannot be written, and nothing is changed."""
        self.store.replace_all(self.store.from_seeds(loaded.credentials))  # first: may refuse
        self.keyring = KeyRing(loaded.api_keys)
        self.loaded = loaded

    def refixture(self, fixtures: FixtureSet) -> None:
        """Start again from new `fixtures` (`--reload`): credentials and keys replaced, the
        journal and faults kept. `CredkitError` (nothing changed) when the state file refuses."""
        previous, self.fixtures = self.fixtures, fixtures
        try:
            self.store.replace_all(self.seeds())
        except BaseException:
            self.fixtures = previous
            raise
        self.keyring = KeyRing(fixtures.api_keys)
        self.loaded = None

    def close(self) -> None:
        """Close the state file, if any (at shutdown)."""
        if self.persistence is not None:
            self.persistence.close()
