"""The `credkit` command line: a thin layer of click over typed functions.

Subcommands: `serve` (the mock server), `verify` and `fuzz` (the contract suite, defined in
`contracts.cli`), `fixtures` (generate and check seed files) and `spec` (print or validate the
bundled OpenAPI documents). Every option can also be set as a `CREDKIT_...` environment variable.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from mockserver import __version__
from mockserver.config import ENV_VARS, PROFILES, Config
from mockserver.errors import CredkitError
from mockserver.resources import ADMIN_SPEC, CREDENTIALS_SPEC, load_spec

__all__ = ["cli", "main"]


class _Group(click.Group):
    """Turns a `CredkitError` into its message and exit code instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CredkitError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"auto_envvar_prefix": "CREDKIT"})
@click.version_option(__version__, prog_name="credkit")
def cli() -> None:
    """credkit: a mock server and contract suite for the Flowise credentials API."""


@cli.group()
def spec() -> None:
    """Print or validate the bundled OpenAPI documents."""


_SPECS = {"credentials": CREDENTIALS_SPEC, "admin": ADMIN_SPEC}


@spec.command("print")
@click.option(
    "--which", type=click.Choice(sorted(_SPECS)), default="credentials", show_default=True
)
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
def spec_print(which: str, fmt: str) -> None:
    """Print a bundled spec (YAML as shipped, or JSON)."""
    path = _SPECS[which]
    if fmt == "yaml":
        click.echo(path.read_text(encoding="utf-8"), nl=False)
    else:
        click.echo(json.dumps(load_spec(path), indent=2, ensure_ascii=False))


@spec.command("validate")
@click.argument(
    "path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def spec_validate(path: Path | None) -> None:
    """Validate PATH (default: every bundled spec) as an OpenAPI document."""
    from mockserver.specs import validate_document

    for target in [path] if path else [p for p in _SPECS.values() if p.exists()]:
        validate_document(target)
        click.echo(f"{target}: valid OpenAPI {load_spec(target)['openapi']}")


@cli.group()
def fixtures() -> None:
    """Generate and check fixture files (seed data for `credkit serve --fixtures`)."""


@fixtures.command("generate")
@click.option("--count", type=click.IntRange(min=0), default=10, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same file.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write here (.yaml, .yml or .json); default: standard output as YAML.",
)
def fixtures_generate(count: int, seed: int, output: Path | None) -> None:
    """Write a fixture file of COUNT realistic (fake) credentials of real types."""
    from mockserver.fixtures.generator import generate_document

    document = generate_document(count, seed=seed)
    if output is not None and output.suffix.lower() == ".json":
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    elif output is None or output.suffix.lower() in (".yaml", ".yml"):
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    else:
        raise click.BadParameter(
            f"{output}: use a .yaml, .yml or .json file name.", param_hint="--output"
        )
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {count} credentials to {output}", err=True)


@fixtures.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def fixtures_check(path: Path) -> None:
    """Validate a fixture file; print what it seeds."""
    from mockserver.fixtures.loader import load_fixtures

    loaded = load_fixtures(path)
    click.echo(
        f"{path}: {len(loaded.workspaces)} workspaces, {len(loaded.api_keys)} API keys, "
        f"{len(loaded.credentials)} credentials"
    )


_DEFAULTS = Config()  # the CLI shows and uses the config object's own defaults


@cli.command()
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
    type=click.Choice(PROFILES),
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
    """Run the mock server (every option is also a CREDKIT_<NAME> environment variable)."""
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


def _add_contract_commands() -> None:
    # contracts.cli imports nothing heavy (schemathesis loads only when a run starts).
    from contracts.cli import fuzz, verify

    cli.add_command(verify)
    cli.add_command(fuzz)


_add_contract_commands()


def main() -> None:
    cli(prog_name="credkit")


if __name__ == "__main__":  # pragma: no cover
    main()
