"""`credkit_core.resources`: the bundled documents exist; DEV_KEYS are the fixtures' keys."""

from __future__ import annotations

from credkit_core.fixtures.loader import load_fixtures
from credkit_core.resources import ADMIN_SPEC, CATALOG, CREDENTIALS_SPEC, DEFAULT_FIXTURES, DEV_KEYS


def test_the_bundled_documents_exist() -> None:
    for path in (CREDENTIALS_SPEC, ADMIN_SPEC, CATALOG, DEFAULT_FIXTURES):
        assert path.is_file(), path


def test_dev_keys_are_the_default_fixtures_keys_with_their_roles() -> None:
    keys = {k.key: k for k in load_fixtures(None).api_keys}
    assert set(DEV_KEYS.values()) <= set(keys)
    assert keys[DEV_KEYS["readonly"]].permissions == {"credentials:view"}
    assert keys[DEV_KEYS["full"]].workspace == keys[DEV_KEYS["admin"]].workspace
    assert keys[DEV_KEYS["other_workspace"]].workspace != keys[DEV_KEYS["full"]].workspace
