"""What a behaviour profile is: one small interface every profile implements.

A profile answers every API request that reached it (the body already read within the size
limit, injected faults and `--latency` already applied by the app): `handle(call, space) ->
Reply`, where `space` (`mockserver.space.Space`) is the request's namespace as its store gives
it: the credentials and the API keys. It is built once from the process's `Runtime` and holds
nothing of a namespace. The profiles themselves are siblings in
`mockserver/profiles/`; `mockserver.profiles.PROFILES` is the only list of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from mockserver.requests import Call
from mockserver.responses import Reply
from mockserver.runtime import Runtime
from mockserver.space import Space

__all__ = ["Profile", "ProfileFactory"]


class Profile(Protocol):
    """A behaviour profile: the answer to one API request. It may raise `ApiError` (answered
    in the error shape) or `StateFileError` (a change the state file refused: 503)."""

    def handle(self, call: Call, space: Space) -> Reply: ...


ProfileFactory = Callable[[Runtime], Profile]
