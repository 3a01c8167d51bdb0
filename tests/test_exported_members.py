"""Every module of every package says what it exports, and exports what it says (httpx's
`tests/test_exported_members.py`); the modules are found with `pkgutil`, so a new one is
covered the day it is added."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import contracts
import credkit_cli
import credkit_core
import mockserver

PACKAGES = (credkit_core, mockserver, contracts, credkit_cli)
# credkit_core/fixtures is the top-level fixtures/ directory (no __init__: data first).
FIXTURE_CODE = ["credkit_core.fixtures.generator", "credkit_core.fixtures.loader"]


def _modules() -> list[str]:
    found = [package.__name__ for package in PACKAGES] + FIXTURE_CODE
    for package in PACKAGES:
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):  # running it is its whole point
                found.append(info.name)
    return sorted(found)


MODULES = _modules()


def test_every_package_is_walked() -> None:
    assert {"mockserver.app", "contracts.runner", "credkit_core.crypto"} <= set(MODULES)
    assert "mockserver.profiles.flowise31" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_all_is_true(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert sorted(exported) == sorted(set(exported)), f"{name}.__all__ repeats a name"
    for member in exported:
        assert hasattr(module, member), f"{name}.__all__ names {member!r}, which it lacks"


def test_package_api() -> None:
    assert callable(mockserver.run)
    assert isinstance(credkit_core.__version__, str)
    assert mockserver.__version__ == credkit_core.__version__
    from mockserver.app import create_app
    from mockserver.config import Config

    assert create_app(Config(secret_key="k")).state.store is not None
