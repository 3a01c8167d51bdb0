"""What a behaviour profile is: one small interface every profile implements.

A profile answers every API request that reached it (the body already read within the size
limit, injected faults and `--latency` already applied by the app): `handle(call) -> Reply`.
It is built from the running mock's `AppState`. The profiles themselves are siblings in
`mockserver/profiles/`; `mockserver.profiles.PROFILES` is the only list of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from mockserver.requests import Call
from mockserver.responses import Reply
from mockserver.state import AppState

__all__ = ["Profile", "ProfileFactory"]


class Profile(Protocol):
    """A behaviour profile: the answer to one API request. It may raise `ApiError` (answered
    in the error shape) or `StateFileError` (a change the state file refused: 503)."""

    def handle(self, call: Call) -> Reply: ...


ProfileFactory = Callable[[AppState], Profile]
