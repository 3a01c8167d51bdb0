"""Where the bundled spec, catalog and fixtures live, and cached loaders for them.

`spec/` and `fixtures/` sit at the top of the repository and are symlinked into this package
(`credkit_core`), so the same paths work in a checkout and in an installed wheel.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ADMIN_SPEC",
    "CATALOG",
    "CREDENTIALS_SPEC",
    "DEFAULT_FIXTURES",
    "DEV_KEYS",
    "FIXTURES_DIR",
    "FIXTURE_SCHEMA",
    "SPEC_DIR",
    "load_catalog_data",
    "load_spec",
]

PACKAGE_DIR = Path(__file__).resolve().parent
SPEC_DIR = PACKAGE_DIR / "spec"
FIXTURES_DIR = PACKAGE_DIR / "fixtures"
CREDENTIALS_SPEC = SPEC_DIR / "credentials.openapi.yaml"
ADMIN_SPEC = SPEC_DIR / "admin.openapi.yaml"
CATALOG = FIXTURES_DIR / "catalog" / "flowise-credential-types.json"
DEFAULT_FIXTURES = FIXTURES_DIR / "default.yaml"
FIXTURE_SCHEMA = FIXTURES_DIR / "schema.json"
# The API keys of the bundled fixtures (fixtures/default.yaml), by role: spelled here once.
DEV_KEYS = {
    "full": "YOUR_API_KEY",  # the documentation's placeholder: full access to workspace-123
    "admin": "dev-admin-key",
    "readonly": "dev-readonly-key",  # credentials:view only
    "nocred": "dev-nocred-key",  # no credentials permission at all
    "other_workspace": "dev-other-workspace-key",  # full access to workspace-456
}


@cache
def load_spec(path: Path = CREDENTIALS_SPEC) -> dict[str, Any]:
    """The OpenAPI document at `path`, parsed (cached; treat it as read-only)."""
    with path.open(encoding="utf-8") as fh:
        # libyaml's loader when available: ~10x faster, and the spec is parsed at every startup.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document: dict[str, Any] = yaml.load(fh, Loader=loader)
    return document


@cache
def load_catalog_data() -> list[dict[str, Any]]:
    """The bundled credential-type catalog, as the real server serves it (read-only)."""
    with CATALOG.open(encoding="utf-8") as fh:
        data: list[dict[str, Any]] = json.load(fh)
    return data
