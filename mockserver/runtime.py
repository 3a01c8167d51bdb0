"""What the running mock holds once for the whole process: `Runtime`, built from a `Config`.

The spec and its compiled routes, the catalog, the fixtures file as last loaded, the encryption
passphrase (and where it came from), the access log, the `Host` and `Origin` policies, and
whether the server is stopping. Everything a namespace holds of its own (credentials, keys,
journal, faults) is a space (`mockserver.space`), kept by the store the config names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credkit_core.catalog import Catalog, default_catalog
from credkit_core.crypto import Encryptor
from credkit_core.fixtures.loader import CredentialSeed, FixtureSet, load_fixtures
from credkit_core.resources import CREDENTIALS_SPEC, load_spec
from mockserver.accesslog import AccessLog
from mockserver.config import Config
from mockserver.edge.hosts import HostPolicy
from mockserver.edge.origins import OriginPolicy
from mockserver.passphrase import resolve_passphrase
from mockserver.routing import RouteTable, compile_spec

__all__ = ["Runtime", "build_runtime", "seed_credentials"]


@dataclass(eq=False)
class Runtime:
    """The process-wide part of the mock; `create_app(...).runtime`."""

    config: Config
    document: dict[str, Any]
    routes: RouteTable
    catalog: Catalog
    fixtures: FixtureSet  # the fixtures file as last (re)loaded: new namespaces start from it
    encryptor: Encryptor
    passphrase_source: str
    access_log: AccessLog
    origins: OriginPolicy
    hosts: HostPolicy
    stopping: bool = False  # set when the server shuts down: live streams end

    def seeds(self, fixtures: FixtureSet | None = None) -> list[CredentialSeed]:
        """The credentials a namespace starts with: `fixtures`' (default: the fixtures file's),
        plus the `--seed N` generated ones."""
        return seed_credentials(self.fixtures if fixtures is None else fixtures, self.config.seed)


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


def build_runtime(config: Config) -> Runtime:
    """Load the spec, the catalog and the fixtures; resolve the passphrase."""
    document = load_spec(CREDENTIALS_SPEC)
    catalog = default_catalog()
    passphrase, source = resolve_passphrase(config.secret_key, config.state_file)
    return Runtime(
        config=config,
        document=document,
        routes=compile_spec(document),
        catalog=catalog,
        fixtures=load_fixtures(config.fixtures, catalog=catalog),
        encryptor=Encryptor(passphrase),
        passphrase_source=source,
        access_log=AccessLog(enabled=config.access_log),
        origins=OriginPolicy(config.cors_origins),
        hosts=HostPolicy(config.allowed_hosts, bind_host=config.host),
    )
