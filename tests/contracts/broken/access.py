"""Defects in authentication and permissions: keys, schemes, roles, workspaces."""

from __future__ import annotations

from typing import Any

from credkit_core.resources import DEV_KEYS
from tests.contracts.broken.apps import (
    Proxy,
    Request,
    Rewrite,
    mock,
)


def cross_workspace_read() -> Any:
    app = mock()
    store = app.state.store
    store.get = lambda credential_id, workspace_id: store.find(credential_id)
    return app


def ignores_auth() -> Any:
    app = mock()
    keyring = app.state.keyring
    admin = keyring.authenticate(f"Bearer {DEV_KEYS['admin']}".encode())

    def authenticate(header: bytes | None) -> Any:
        try:
            return keyring.authenticate(header)
        except Exception:
            return admin

    app.state.keyring = Proxy(keyring, authenticate=authenticate)
    return app


def readonly_can_update() -> Any:
    app = mock()
    keyring = app.state.keyring

    def authorize(key: Any, permission: str | None) -> None:
        if permission != "credentials:update":
            keyring.authorize(key, permission)

    app.state.keyring = Proxy(keyring, authorize=authorize)
    return app


def readonly_cannot_read() -> Any:
    """As the real server: GET by id needs create or update, not view."""
    app = mock()
    keyring = app.state.keyring

    def authorize(key: Any, permission: str | None) -> None:
        if permission == "credentials:view" and "credentials:update" not in key.permissions:
            keyring.authorize(key, "credentials:update")
        keyring.authorize(key, permission)

    app.state.keyring = Proxy(keyring, authorize=authorize)
    return app


def lowercase_bearer_refused() -> Any:
    async def request(req: Request) -> Request:
        method, path, headers, body = req
        if headers.get(b"authorization", b"").startswith(b"bearer "):
            headers = {**headers, b"authorization": b"Nope"}
        return method, path, headers, body

    return Rewrite(mock(), on_request=request)


def raw_key_accepted() -> Any:
    async def request(req: Request) -> Request:
        method, path, headers, body = req
        value = headers.get(b"authorization", b"")
        if value and b" " not in value:
            headers = {**headers, b"authorization": b"Bearer " + value}
        return method, path, headers, body

    return Rewrite(mock(), on_request=request)
