"""The contract suite's own dependencies, installed with the `verify` extra.

`pip install flowise-credkit` gives the mock, the CLI and the `credkit_mock` fixture; schemathesis
and hypothesis come with `pip install 'flowise-credkit[verify]'`. They are kept out of the base
install because both register pytest plugins, which pytest loads (importing hypothesis, ~1.3 s)
into every test run of a project that has them installed — a cost `credkit_mock` users should
not pay. The suite's entry points (`credkit verify`, `credkit fuzz`, `pytest --credkit-base-url`)
call `require_suite` first, so a missing extra is one clear line, not an ImportError mid-run.
"""

from __future__ import annotations

from importlib.util import find_spec

from credkit_core.errors import ConfigError

__all__ = ["SUITE_MODULES", "missing_suite_modules", "require_suite"]

SUITE_MODULES = ("schemathesis", "hypothesis")


def missing_suite_modules() -> list[str]:
    """The suite's modules that cannot be imported here (found without importing them)."""
    return [name for name in SUITE_MODULES if find_spec(name) is None]


def require_suite(command: str) -> None:
    """`ConfigError` (exit 2) naming the missing modules and the extra that provides them."""
    missing = missing_suite_modules()
    if missing:
        raise ConfigError(
            f"{command} needs the contract suite's dependencies ({', '.join(missing)} not "
            "installed); install them with: pip install 'flowise-credkit[verify]'."
        )
