"""Fixtures of the contract-suite tests: a correct mock served on a free port, and configs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contracts.config import VerifyConfig
from credkit_core.resources import DEV_KEYS
from mockserver.pytest_plugin import serving
from tests.contracts.broken.apps import mock

KEYS = {
    "api_key": DEV_KEYS["admin"],
    "readonly_api_key": DEV_KEYS["readonly"],
    "foreign_api_key": DEV_KEYS["other_workspace"],
}


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    """A correct mock (spec profile) on 127.0.0.1 and a free port, shared by a module."""
    with serving(mock()) as url:
        yield url


@pytest.fixture
def make_config() -> Callable[..., VerifyConfig]:
    def make(base_url: str, **overrides: Any) -> VerifyConfig:
        values: dict[str, Any] = {**KEYS, "max_examples": 3, "seed": 1}
        values.update(overrides)
        return VerifyConfig(base_url=base_url, **values)

    return make
