"""`mockserver.stores`: the registry of stores by `--store` scheme, and what a store is."""

from __future__ import annotations

import importlib
import inspect

import pytest

from credkit_core.errors import ConfigError
from mockserver.app import create_app
from mockserver.config import Config
from mockserver.server import banner, prepare
from mockserver.stores import STORES, scheme_of
from mockserver.stores.base import Backend
from tests.inprocess import AppClient
from tests.mockserver.conftest import FULL
from tests.mockserver.dictstore import DictStore

CRED = "/api/v1/credentials/cred-789"


def test_the_registry_names_every_store_by_scheme() -> None:
    assert set(STORES) == {"memory", "redis", "rediss", "unix"}
    assert [scheme_of(u) for u in ("memory", "redis://h:6379/0", "rediss://h", "x", "a:/b")] == [
        "memory",
        "redis",
        "rediss",
        "",
        "",
    ]


@pytest.mark.parametrize("scheme", sorted(STORES))
def test_every_registered_store_has_every_method_of_the_protocol(scheme: str) -> None:
    module, _, name = STORES[scheme].partition(":")
    store = getattr(importlib.import_module(module), name)
    wanted = {n for n, _ in inspect.getmembers(Backend) if not n.startswith("_")}
    assert wanted <= {n for n, _ in inspect.getmembers(store)}


def test_a_scheme_not_registered_is_refused() -> None:
    with pytest.raises(ConfigError, match="Use 'memory' or a Redis URL"):
        Config(store="dict://tests")


def test_adding_a_store_is_one_module_and_one_registry_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(STORES, "dict", "tests.mockserver.dictstore:DictStore")
    app = create_app(Config(store="dict://tests", secret_key="k", access_log=False))
    prepare(app)
    store = app.backend
    assert isinstance(store, DictStore) and store.prepared
    assert app.state is None  # `state` is the memory store's default namespace
    client = AppClient(app)
    try:
        renamed = client.put(CRED, json={"name": "Through the dict"}, headers=FULL)
        assert renamed.status_code == 200 and renamed.json()["name"] == "Through the dict"
        assert client.get(CRED, headers=FULL).json()["name"] == "Through the dict"
        assert client.get("/ns/other" + CRED, headers=FULL).json()["name"] != "Through the dict"
        assert client.post("/__admin/faults", json={"path": CRED}).status_code == 400
    finally:
        client.close()
    stored = store.spaces["default"].store.get("cred-789", "workspace-123")
    assert stored is not None and stored.name == "Through the dict"
    assert [(e.method, e.status) for e in store.recorded] == [
        ("PUT", 200),
        ("GET", 200),
        ("GET", 200),
    ]
    text = banner("http://127.0.0.1:3000", app)
    assert "store: a dict in this process (tests only)" in text
    assert f"credentials: {store.count()} " in text
