"""The HTTP apps behind the edge: the credentials API (`api`: body limit, faults, latency, the
profile through the store), the admin API (`admin`, with the dashboard page `dashboard` and
its live stream `stream`) and the spec documents (`documents`). They reach the namespaces only
through the store interface (`mockserver.stores.base.Backend`), and a profile only through
`mockserver.profile.Profile` (`tests/test_imports.py`)."""

from __future__ import annotations

__all__: list[str] = []
