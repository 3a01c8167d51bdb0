"""Every name in a mock-server module's `__all__` exists (the public API stays true)."""

from __future__ import annotations

import importlib

import pytest

import mockserver

MODULES = [
    "accesslog",
    "admin",
    "app",
    "auth",
    "config",
    "cors",
    "crypto",
    "faults",
    "groupcommit",
    "handlers",
    "journal",
    "persistence",
    "profile",
    "pytest_plugin",
    "responses",
    "routing",
    "server",
    "stateload",
    "store",
    "validation",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_true(name: str) -> None:
    module = importlib.import_module(f"mockserver.{name}")
    exported = getattr(module, "__all__", None)
    assert exported, f"mockserver.{name} has no __all__"
    for member in exported:
        assert hasattr(module, member), f"mockserver.{name}.__all__ names missing {member!r}"


def test_package_api() -> None:
    assert callable(mockserver.run)
    from mockserver.app import create_app
    from mockserver.config import Config

    assert create_app(Config(secret_key="k")).state.store is not None
