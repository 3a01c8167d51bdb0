"""`credkit serve`: the mock server's command, a thin layer of click over `mockserver.run`.

Every option is also a `CREDKIT_<NAME>` environment variable. The `credkit` group that holds
it (with `verify`, `fuzz`, `fixtures` and `spec`) is `credkit_cli`.
"""

from __future__ import annotations

from pathlib import Path

import click

from mockserver.config import ENV_VARS, Config
from mockserver.profiles import PROFILES

__all__ = ["serve"]

_DEFAULTS = Config()  # the CLI shows and uses the config object's own defaults


@click.command()
@click.option(
    "--host",
    default=_DEFAULTS.host,
    show_default=True,
    envvar=ENV_VARS["host"][0],
    show_envvar=True,
    help="Interface to bind.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=_DEFAULTS.port,
    show_default=True,
    envvar=ENV_VARS["port"][0],
    show_envvar=True,
    help="Port (0: a free one, shown in the banner).",
)
@click.option(
    "--fixtures",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar=ENV_VARS["fixtures"][0],
    show_envvar=True,
    help="Seed file (.yaml/.json); default: the built-in fixtures.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=_DEFAULTS.seed,
    show_default=True,
    envvar=ENV_VARS["seed"][0],
    show_envvar=True,
    help="Add N generated (Faker) credentials, the same ones for the same N.",
)
@click.option(
    "--secret-key",
    envvar=ENV_VARS["secret_key"][0],
    show_envvar=True,
    help="Encryption passphrase for encryptedData.",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=ENV_VARS["state_file"][0],
    show_envvar=True,
    help="Keep the credentials in this file (change log + snapshot) across restarts.",
)
@click.option(
    "--latency",
    type=click.FloatRange(min=0),
    default=_DEFAULTS.latency_ms,
    show_default=True,
    envvar=ENV_VARS["latency_ms"][0],
    show_envvar=True,
    help="Delay every API answer by MS milliseconds.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    envvar=ENV_VARS["cors_origins"][0],
    show_envvar=True,
    help="Allowed CORS origin (repeatable; '*' for any). Default: http(s)://localhost|127.0.0.1[:port].",
)
@click.option(
    "--admin-token",
    envvar=ENV_VARS["admin_token"][0],
    show_envvar=True,
    help="Require this Bearer token on /__admin.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"], case_sensitive=False),
    default=_DEFAULTS.log_level,
    show_default=True,
    envvar=ENV_VARS["log_level"][0],
    show_envvar=True,
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1),
    default=_DEFAULTS.max_body,
    show_default=True,
    envvar=ENV_VARS["max_body"][0],
    show_envvar=True,
    help="Largest request body in bytes (413 beyond).",
)
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    default=_DEFAULTS.profile,
    show_default=True,
    envvar=ENV_VARS["profile"][0],
    show_envvar=True,
    help="Behaviour profile.",
)
@click.option(
    "--validate-responses/--no-validate-responses",
    default=_DEFAULTS.validate_responses,
    show_default=True,
    envvar=ENV_VARS["validate_responses"][0],
    show_envvar=True,
    help="Check every answer against the spec at run time (a breach answers 500 and is logged).",
)
def serve(
    host: str,
    port: int,
    fixtures: Path | None,
    seed: int,
    secret_key: str | None,
    state_file: Path | None,
    latency: float,
    cors_origins: tuple[str, ...],
    admin_token: str | None,
    log_level: str,
    max_body: int,
    profile: str,
    validate_responses: bool,
) -> None:
    """Run the mock server.

    Every option is also a CREDKIT_<NAME> environment variable (shown with each option).
    """
    import mockserver

    config = Config(
        host=host,
        port=port,
        fixtures=fixtures,
        seed=seed,
        secret_key=secret_key,
        state_file=state_file,
        latency_ms=latency,
        cors_origins=tuple(cors_origins),
        admin_token=admin_token,
        log_level=log_level,
        max_body=max_body,
        profile=profile,
        validate_responses=validate_responses,
    )
    mockserver.run(config)
