"""Defects under concurrent requests: lost updates."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from tests.contracts.broken.apps import (
    Request,
    Rewrite,
    mock,
    parse_json,
)


def lost_updates() -> Any:
    """Read-merge-write without a lock (as real Flowise 3.1.4): concurrent PUTs overwrite
    each other."""
    app = mock()
    store = app.state.store

    async def request(req: Request) -> Request:
        method, path, headers, body = req
        parsed = parse_json(body)
        patch = parsed.get("plainDataObj") if isinstance(parsed, dict) else None
        current = store.find(path.rsplit("/", 1)[-1]) if method == "PUT" else None
        if current is not None and isinstance(patch, dict) and patch:
            snapshot = dict(current.data)
            await asyncio.sleep(0.05)  # other PUTs read the same snapshot meanwhile
            merged = {**snapshot, **patch}
            latest = store.find(current.id)
            store.put(dataclasses.replace(latest, data=merged))
            body = json.dumps({k: v for k, v in parsed.items() if k != "plainDataObj"}).encode()
        return method, path, headers, body

    return Rewrite(app, on_request=request)
