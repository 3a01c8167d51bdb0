"""The `credkit` command line: a thin layer of click over typed functions, on top of both packages.

Subcommands: `serve` (the mock server, `mockserver.cli`), `verify` and `fuzz` (the contract
suite, `contracts.cli`), `fixtures` (generate and check seed files) and `spec` (print or validate
the bundled OpenAPI documents). Every option can also be set as a `CREDKIT_...` environment
variable.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml

from contracts.cli import fuzz, verify
from credkit_core import __version__
from credkit_core.errors import CredkitError
from credkit_core.resources import ADMIN_SPEC, CREDENTIALS_SPEC, load_spec
from mockserver.cli import serve

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
    from credkit_core.specs import validate_document

    for target in [path] if path else [p for p in _SPECS.values() if p.exists()]:
        validate_document(target)
        click.echo(f"{target}: valid OpenAPI {load_spec(target)['openapi']}")


@cli.group()
def fixtures() -> None:
    """Generate and check fixture files: seed data for `credkit serve`.

    A fixture file is what `credkit serve --fixtures FILE` loads.
    """


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
    from credkit_core.fixtures.generator import generate_document

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
    from credkit_core.fixtures.loader import load_fixtures

    loaded = load_fixtures(path)
    click.echo(
        f"{path}: {len(loaded.workspaces)} workspaces, {len(loaded.api_keys)} API keys, "
        f"{len(loaded.credentials)} credentials"
    )


cli.add_command(serve)
cli.add_command(verify)
cli.add_command(fuzz)


def main() -> None:
    cli(prog_name="credkit")
