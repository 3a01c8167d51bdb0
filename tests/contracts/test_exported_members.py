"""Every module of the contract suite says what it exports, and exports what it says."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import contracts

MODULES = sorted(m.name for m in pkgutil.iter_modules(contracts.__path__, "contracts."))


@pytest.mark.parametrize("name", MODULES)
def test_all_is_true(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert sorted(exported) == sorted(set(exported))
    for member in exported:
        assert hasattr(module, member), f"{name}.__all__ names {member!r}, which it lacks"
