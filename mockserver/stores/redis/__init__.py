"""The Redis store (`--store redis://`, `rediss://`, `unix://`): the namespaces shared by every
process on one Redis database (`RedisBackend`; see its module for the parts)."""

from __future__ import annotations

from mockserver.stores.redis.backend import RedisBackend
from mockserver.stores.redis.connection import shown_url

__all__ = ["RedisBackend", "shown_url"]
