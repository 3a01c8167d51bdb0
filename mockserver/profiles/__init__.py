"""The behaviour profiles, siblings behind `mockserver.profile.Profile`, and their registry.

- `spec` (`spec.py`, `spec_ops.py`): the contract (contract.md), the default.
- `flowise-3.1` (`flowise31.py`, `flowise31_ops.py`): real Flowise 3.1.4 (npm) as recorded by
  `interop/flowise/record.py` and replayed by `tests/interop/test_replay.py`, quirks included.

`PROFILES` is the only list of profiles: `credkit serve --profile` offers its names.
"""

from __future__ import annotations

from credkit_core.errors import ConfigError
from mockserver.profile import Profile, ProfileFactory
from mockserver.profiles.flowise31 import Flowise31Profile
from mockserver.profiles.spec import SpecProfile
from mockserver.runtime import Runtime

__all__ = ["PROFILES", "check_profile", "create_profile"]

PROFILES: dict[str, ProfileFactory] = {
    "spec": SpecProfile,
    "flowise-3.1": Flowise31Profile,
}


def check_profile(name: str) -> None:
    """`ConfigError` naming the choices when `name` is not a profile."""
    if name not in PROFILES:
        raise ConfigError(f"Config 'profile' has value {name!r}. Use one of {', '.join(PROFILES)}.")


def create_profile(name: str, runtime: Runtime) -> Profile:
    """The profile called `name`, for the process's `runtime`."""
    check_profile(name)
    return PROFILES[name](runtime)
