"""`credkit serve`: the mock server's command, a thin layer of click over `mockserver.run`.

Each option is one `Config` field: its parameter is the field's name, its environment variable
the field's (`mockserver.config.ENV_VARS`), its default the field's default, and lists are split
as `Config.from_env` splits them (`credkit_core.envvars.parse_list`), so `CREDKIT_CORS_ORIGIN=
"http://a,http://b"` is two origins either way. `tests/mockserver/test_cli_config.py` keeps the
two in step. The `credkit` group that holds this command is `credkit_cli`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

import mockserver
from credkit_core.clicommand import OneLineErrors
from credkit_core.envvars import parse_list
from mockserver.config import ENV_VARS, LOG_LEVELS, Config
from mockserver.profiles import PROFILES

__all__ = ["serve"]

_DEFAULTS = Config()  # the CLI shows and uses the config object's own defaults

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _option(name: str, *flags: str, **settings: Any) -> Decorator:
    """A `click.option` for the `Config` field `name`, with its variable and its default."""
    settings.setdefault("default", getattr(_DEFAULTS, name))
    settings.setdefault("show_default", settings["default"] is not None)
    return click.option(*flags, name, envvar=ENV_VARS[name][0], show_envvar=True, **settings)


def _items(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """A repeatable option's values, each split as `Config.from_env` splits a list."""
    return tuple(item for value in values for item in parse_list(value))


@click.command(cls=OneLineErrors)
@_option(
    "host",
    "--host",
    help="Address to bind (0.0.0.0: every interface). Clients that name the mock otherwise "
    "than localhost, 127.0.0.1, [::1] or this address need --allowed-host.",
)
@_option(
    "port",
    "--port",
    type=click.IntRange(0, 65535),
    help="Port (0: a free one, shown in the banner).",
)
@_option(
    "fixtures",
    "--fixtures",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Seed file (.yaml/.json); default: the built-in fixtures.",
)
@_option(
    "seed",
    "--seed",
    type=click.IntRange(min=0),
    help="Add N generated (Faker) credentials, the same ones for the same N.",
)
@_option("secret_key", "--secret-key", help="Encryption passphrase for encryptedData.")
@_option(
    "state_file",
    "--state-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the credentials in this file (change log + snapshot) across restarts.",
)
@_option(
    "latency_ms",
    "--latency",
    type=click.FloatRange(min=0),
    help="Delay every API answer by MS milliseconds.",
)
@_option(
    "cors_origins",
    "--cors-origin",
    multiple=True,
    metavar="ORIGIN",
    callback=_items,
    show_default=False,
    help="Also allow this browser origin (repeatable, or comma-separated): exact "
    "(https://app.example.com), a pattern (http://192.168.*, https://*.example.com) or '*' "
    "for any. Always allowed: http(s)://localhost|127.0.0.1|[::1] on any port. Pages of a "
    "listed origin (not '*') may also use /__admin.",
)
@_option(
    "allowed_hosts",
    "--allowed-host",
    multiple=True,
    metavar="NAME",
    callback=_items,
    show_default=False,
    help="Also answer requests whose Host is NAME (repeatable, or comma-separated; any port; "
    "*.example.com for subdomains; '*' for any, which gives up the DNS-rebinding guard). "
    "Always answered: localhost, 127.0.0.1, [::1] and the --host address.",
)
@_option("admin_token", "--admin-token", help="Require this Bearer token on /__admin.")
@_option(
    "log_level",
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
)
@_option(
    "max_body",
    "--max-body",
    type=click.IntRange(min=1),
    help="Largest request body in bytes (413 beyond).",
)
@_option(
    "profile",
    "--profile",
    type=click.Choice(list(PROFILES)),
    help="Behaviour profile: 'spec' follows the contract and answers 'Prefer: code=404' / "
    "'Prefer: example=NAME' with a documented answer; 'flowise-3.1' reproduces the real "
    "Flowise 3.1.4 server and, like it, ignores Prefer.",
)
@_option(
    "base_path",
    "--base-path",
    help="Serve the API, /docs and the spec under this prefix (e.g. /flowise).",
)
@_option(
    "reload",
    "--reload/--no-reload",
    help="Re-read the --fixtures file when it changes (an invalid file keeps the old state).",
)
@_option(
    "access_log",
    "--access-log/--no-access-log",
    help="One line per request on stderr (method, path, status, milliseconds).",
)
@_option(
    "validate_responses",
    "--validate-responses/--no-validate-responses",
    help="Check every answer against the spec at run time (a breach answers 500 and is logged).",
)
@_option(
    "store",
    "--store",
    help="Where the state lives: 'memory' (this process) or a Redis URL, redis://HOST:PORT/DB "
    "(rediss:// for TLS), shared by every process started on it.",
)
@_option(
    "workers",
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes (more than 1 needs a shared --store).",
)
@_option(
    "namespace_ttl",
    "--namespace-ttl",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds without a request after which a namespace (/ns/NAME/...) is dropped.",
)
@_option(
    "max_namespaces",
    "--max-namespaces",
    type=click.IntRange(min=1),
    help="Most namespaces at once besides 'default' (a new one beyond: 429).",
)
def serve(**values: Any) -> None:
    """Run the mock server.

    Every option is also a CREDKIT_<NAME> environment variable (shown with each option).
    """
    mockserver.run(Config.from_mapping(values))
