"""The mock server's configuration: one frozen, keyword-only, validated object.

`Config(...)` checks its values when built; `Config.from_env()` reads the documented
`CREDKIT_<NAME>` environment variables (the same names `credkit serve` accepts).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from credkit_core.envvars import parse_bool, parse_list
from credkit_core.errors import ConfigError

__all__ = ["DEFAULT_MAX_BODY", "ENV_VARS", "LOG_LEVELS", "Config"]

DEFAULT_MAX_BODY = 1_048_576
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


@dataclass(frozen=True, kw_only=True, slots=True)
class Config:
    """Everything `credkit serve` can be told. Secrets (`secret_key`, `admin_token`) are hidden
    from `repr`."""

    host: str = "127.0.0.1"
    port: int = 3000
    fixtures: Path | None = None
    seed: int = 0
    secret_key: str | None = field(default=None, repr=False)
    state_file: Path | None = None
    latency_ms: float = 0.0
    cors_origins: tuple[str, ...] = ()
    admin_token: str | None = field(default=None, repr=False)
    log_level: str = "info"
    max_body: int = DEFAULT_MAX_BODY
    profile: str = "spec"
    access_log: bool = True
    validate_responses: bool = True
    compact_every: int = 1000

    def __post_init__(self) -> None:
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(
                f"Config 'port' has value {self.port!r}. Use 0..65535 (0: a free port)."
            )
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"Config 'seed' has value {self.seed!r}. Use a count >= 0.")
        if self.latency_ms < 0:
            raise ConfigError(f"Config 'latency_ms' has value {self.latency_ms!r}. Use >= 0.")
        if not isinstance(self.max_body, int) or self.max_body < 1:
            raise ConfigError(f"Config 'max_body' has value {self.max_body!r}. Use bytes >= 1.")
        if self.compact_every < 1:
            raise ConfigError(f"Config 'compact_every' has value {self.compact_every!r}. Use >= 1.")
        if self.log_level.lower() not in LOG_LEVELS:
            raise ConfigError(
                f"Config 'log_level' has value {self.log_level!r}. "
                f"Use one of {', '.join(LOG_LEVELS)}."
            )
        object.__setattr__(self, "log_level", self.log_level.lower())
        if self.secret_key == "":
            raise ConfigError("Config 'secret_key' is empty. Give a passphrase or leave it unset.")
        if self.admin_token == "":
            raise ConfigError("Config 'admin_token' is empty. Give a token or leave it unset.")
        for origin in self.cors_origins:
            if origin != "*" and "://" not in origin:
                raise ConfigError(
                    f"Config 'cors_origins' has value {origin!r}. Use an origin such as "
                    "'https://app.example.com' or '*'."
                )
        if self.fixtures is not None and not isinstance(self.fixtures, Path):
            object.__setattr__(self, "fixtures", Path(self.fixtures))
        if self.state_file is not None and not isinstance(self.state_file, Path):
            object.__setattr__(self, "state_file", Path(self.state_file))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Config:
        """A config from a mapping of field names; unknown names are errors with a hint."""
        names = [f.name for f in fields(cls)]
        for key in values:
            if key not in names:
                hint = difflib.get_close_matches(key, names, n=1)
                raise ConfigError(
                    f"Unknown config key {key!r}"
                    + (f"; did you mean {hint[0]!r}?" if hint else ".")
                )
        return cls(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """A config from `CREDKIT_<NAME>` variables (e.g. CREDKIT_PORT, CREDKIT_SECRET_KEY)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (var, convert) in ENV_VARS.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                values[name] = convert(raw)
            except ValueError as exc:
                raise ConfigError(f"Environment variable {var} has value {raw!r}: {exc}.") from exc
        return cls(**values)


def _secret(raw: str) -> str:
    return raw


ENV_VARS: dict[str, tuple[str, Any]] = {
    "host": ("CREDKIT_HOST", str),
    "port": ("CREDKIT_PORT", int),
    "fixtures": ("CREDKIT_FIXTURES", Path),
    "seed": ("CREDKIT_SEED", int),
    "secret_key": ("CREDKIT_SECRET_KEY", _secret),
    "state_file": ("CREDKIT_STATE_FILE", Path),
    "latency_ms": ("CREDKIT_LATENCY", float),
    "cors_origins": ("CREDKIT_CORS_ORIGIN", parse_list),
    "admin_token": ("CREDKIT_ADMIN_TOKEN", _secret),
    "log_level": ("CREDKIT_LOG_LEVEL", str),
    "max_body": ("CREDKIT_MAX_BODY", int),
    "profile": ("CREDKIT_PROFILE", str),
    "access_log": ("CREDKIT_ACCESS_LOG", parse_bool),
    "validate_responses": ("CREDKIT_VALIDATE_RESPONSES", parse_bool),
}
