"""The exceptions credkit raises, one tree with one base.

    CredkitError            base; carries the CLI exit code
    ├── ConfigError         bad option, environment variable or config value (exit 2)
    │   └── FixtureError    a fixture file that cannot be read or breaks the fixture schema
    ├── StateFileError      a state file that is corrupt or cannot be written (exit 2)
    └── SpecError           a spec document that cannot be loaded or is invalid (exit 2)

Messages say what failed, the offending value (never a secret) and how to fix it.
"""

from __future__ import annotations

__all__ = ["ConfigError", "CredkitError", "FixtureError", "SpecError", "StateFileError"]


class CredkitError(Exception):
    """Base of every error credkit raises on purpose."""

    exit_code: int = 1


class ConfigError(CredkitError):
    """An option, environment variable or configuration value is invalid."""

    exit_code = 2


class FixtureError(ConfigError):
    """A fixture file cannot be read or does not match the fixture schema."""


class StateFileError(CredkitError):
    """A state file is corrupt, truncated beyond recovery, or cannot be written."""

    exit_code = 2


class SpecError(CredkitError):
    """A spec document cannot be loaded or is not a valid OpenAPI document."""

    exit_code = 2
