"""Everything the running mock holds (`AppState`), and building it from a `Config`.

The bottom of the mock: it imports the parts it holds (store, keys, journal, faults, state file)
and nothing that serves requests; the profiles, the admin API and the app import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from credkit_core.catalog import Catalog, default_catalog
from credkit_core.crypto import Encryptor
from credkit_core.fixtures.loader import CredentialSeed, FixtureSet, load_fixtures
from credkit_core.resources import CREDENTIALS_SPEC, load_spec
from mockserver.accesslog import AccessLog
from mockserver.auth import KeyRing
from mockserver.config import Config
from mockserver.faults import FaultSet
from mockserver.journal import Journal
from mockserver.passphrase import resolve_passphrase
from mockserver.persistence import StateFile
from mockserver.routing import RouteTable, compile_spec
from mockserver.store import Store, StoredCredential

__all__ = ["AppState", "build_state", "seed_credentials"]


@dataclass(eq=False)
class AppState:
    """Everything the running mock holds; `create_app(...).state` for tests and the admin API."""

    config: Config
    document: dict[str, Any]
    routes: RouteTable
    catalog: Catalog
    fixtures: FixtureSet
    keyring: KeyRing
    store: Store
    journal: Journal = field(default_factory=Journal)
    faults: FaultSet = field(default_factory=FaultSet)
    passphrase_source: str = "generated"
    persistence: StateFile | None = None
    loaded: FixtureSet | None = None  # a fixture document loaded by PUT /__admin/state
    access_log: AccessLog = field(default_factory=AccessLog)
    stopping: bool = False  # set when the server shuts down: live streams end

    def seeds(self) -> list[StoredCredential]:
        """The fixture credentials (plus `--seed N` generated ones), freshly encrypted."""
        return self.store.from_seeds(seed_credentials(self.fixtures, self.config.seed))

    def reset(self) -> None:
        """Back to the fixtures (keys included); the journal and faults are cleared. With a
        state file, `StateFileError` when it cannot be written, and nothing is changed."""
        self.store.replace_all(self.seeds())  # first: it raises when the snapshot is refused
        self.keyring = KeyRing(self.fixtures.api_keys)
        self.loaded = None
        self.journal.clear()
        self.faults.clear()

    def close(self) -> None:
        """Flush the access log and close the state file (at shutdown)."""
        self.access_log.flush()
        if self.persistence is not None:
            self.persistence.close()


def seed_credentials(fixtures: FixtureSet, generated: int) -> list[CredentialSeed]:
    """The fixtures' credentials, plus `generated` Faker-made ones (the same for the same N)."""
    seeds = list(fixtures.credentials)
    if generated:
        # Imported here for its cost, not for a cycle: Faker takes ~0.1 s to import.
        from credkit_core.fixtures.generator import generate_credentials

        workspaces = [w.id for w in fixtures.workspaces] or ["workspace-123"]
        taken = {s.id for s in seeds}
        # Valid by construction (tests/fixtures/test_generator.py loads such documents through
        # `parse_fixtures`): built straight into seeds, without a schema pass over 100k entries.
        seeds.extend(
            CredentialSeed(
                id=entry["id"],
                name=entry["name"],
                credential_name=entry["credentialName"],
                workspace=entry["workspace"],
                plain_data=entry["plainDataObj"],
                created_date=datetime.fromisoformat(entry["createdDate"]),
                updated_date=datetime.fromisoformat(entry["updatedDate"]),
            )
            for entry in generate_credentials(generated, seed=generated, workspaces=workspaces)
            if entry["id"] not in taken
        )
    return seeds


def build_state(config: Config) -> AppState:
    """Load the spec, catalog, fixtures and state file; seed the store."""
    document = load_spec(CREDENTIALS_SPEC)
    catalog = default_catalog()
    fixtures = load_fixtures(config.fixtures, catalog=catalog)
    passphrase, source = resolve_passphrase(config.secret_key, config.state_file)
    store = Store(Encryptor(passphrase), catalog)
    state = AppState(
        config=config,
        document=document,
        routes=compile_spec(document),
        catalog=catalog,
        fixtures=fixtures,
        keyring=KeyRing(fixtures.api_keys),
        store=store,
        passphrase_source=source,
        access_log=AccessLog(enabled=config.access_log),
    )
    if config.state_file is not None:
        state.persistence = StateFile(config.state_file, store, compact_every=config.compact_every)
        loaded = state.persistence.load()  # the state file wins over the fixtures
        store.sink = state.persistence
        store.replace_all(loaded if loaded is not None else state.seeds(), record=loaded is None)
    elif config.store == "memory":
        store.replace_all(state.seeds())
    # else: the state is in Redis (`mockserver.redisbackend`); `store` stays empty, a template
    return state
