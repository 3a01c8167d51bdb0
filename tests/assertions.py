"""Assertions shared by the test packages."""

from __future__ import annotations

from typing import Any

__all__ = ["assert_error"]


def assert_error(response: Any, status: int, *words: str) -> dict[str, Any]:
    """`response` is a spec-shaped error (`{statusCode, success, message, stack}`) with this
    status and a message naming each of `words`; its body."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"statusCode", "success", "message", "stack"}, body
    assert body["statusCode"] == status and body["success"] is False and body["stack"] == {}
    assert isinstance(body["message"], str) and body["message"].strip()
    for word in words:
        assert word in body["message"], body["message"]
    return body
