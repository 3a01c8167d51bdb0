"""The edge: the pure-ASGI layers every request crosses before it reaches an app, outermost
first — the `Host` check against DNS rebinding (`hosts`), CORS (`cors`, with the allowed
origins compiled by `origins`) and the namespace prefix (`namespaces`). They import nothing of
the apps, the profiles or the stores (`tests/test_imports.py`)."""

from __future__ import annotations

__all__: list[str] = []
