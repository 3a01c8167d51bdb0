"""`credkit verify` and `credkit fuzz`: a thin layer of click over `contracts.runner.run`.

Exit codes: 0 every check passed or is allowed; 1 a contract violation; 2 the run could not
proceed (bad arguments, unreachable server, keys refused, interrupted, cleanup failed).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from credkit_core.errors import ConfigError, CredkitError

__all__ = ["fuzz", "verify"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def parse_duration(value: str) -> float:
    """`90`, `90s`, `10m`, `1h` → seconds."""
    match = _DURATION.match(value)
    if match is None:
        raise ConfigError(f"--duration {value!r} is not a duration; use e.g. 90s, 10m or 1h.")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def _options(max_examples: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    options = [
        click.option(
            "--base-url", help="Server root, e.g. http://127.0.0.1:3000 or https://host/flowise."
        ),
        click.option(
            "--api-key",
            envvar="CREDKIT_API_KEY",
            help="Key with full credential permissions [env CREDKIT_API_KEY].",
        ),
        click.option(
            "--readonly-api-key",
            envvar="CREDKIT_READONLY_API_KEY",
            help="Same workspace, credentials:view only [env CREDKIT_READONLY_API_KEY].",
        ),
        click.option(
            "--foreign-api-key",
            envvar="CREDKIT_FOREIGN_API_KEY",
            help="A key of another workspace [env CREDKIT_FOREIGN_API_KEY].",
        ),
        click.option(
            "--secret-key",
            envvar="CREDKIT_VERIFY_SECRET_KEY",
            help="The server's encryption passphrase: enables exact checks of stored data.",
        ),
        click.option(
            "--max-examples",
            type=click.IntRange(min=1),
            default=max_examples,
            show_default=True,
            help="Examples per operation and phase (schemathesis).",
        ),
        click.option(
            "--seed", type=int, help="Seed for generated data (same seed, same requests)."
        ),
        click.option("--rate-limit", help="At most this many requests, e.g. 10/s or 600/m."),
        click.option(
            "--timeout",
            type=float,
            default=10.0,
            show_default=True,
            help="Seconds to wait for each answer.",
        ),
        click.option(
            "--header",
            "headers",
            multiple=True,
            help="Extra header 'Name: value' on every request (repeatable).",
        ),
        click.option(
            "--ca-cert",
            type=click.Path(dir_okay=False, path_type=Path),
            help="CA bundle to verify the server's certificate.",
        ),
        click.option(
            "--insecure", is_flag=True, help="Do not verify the server's TLS certificate."
        ),
        click.option("--list-checks", is_flag=True, help="List the checks and exit."),
        click.option(
            "--include-check", "include", multiple=True, help="Run only this check (repeatable)."
        ),
        click.option(
            "--exclude-check", "exclude", multiple=True, help="Do not run this check (repeatable)."
        ),
        click.option(
            "--junit-xml",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write a JUnit XML report here.",
        ),
        click.option(
            "--report",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Write the JSON report here (docs/report-schema.json).",
        ),
        click.option(
            "--allow",
            "allow_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="YAML file of accepted deviations.",
        ),
    ]

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _progress(console: Any) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _list_checks() -> None:
    from contracts.checks import all_checks

    for item in all_checks():
        needs = ", ".join("--" + n.replace("_", "-") for n in item.needs) or "-"
        click.echo(f"{item.name:34} {item.group:17} needs {needs}\n    {item.requirement}")


def _main(mode: str, opts: dict[str, Any]) -> int:
    from rich.console import Console

    from contracts.allow import load_allow
    from contracts.checks import select_checks
    from contracts.config import VerifyConfig, parse_header, parse_rate_limit
    from contracts.report import print_console, write_json, write_junit
    from contracts.runner import run

    if opts.pop("list_checks"):
        _list_checks()
        return 0
    if not opts["base_url"]:
        raise ConfigError("--base-url is required (the server root, e.g. http://127.0.0.1:3000).")
    allow = load_allow(opts["allow_file"]) if opts["allow_file"] else None
    duration = opts.get("duration")
    config = VerifyConfig(
        base_url=opts["base_url"],
        api_key=opts["api_key"],
        readonly_api_key=opts["readonly_api_key"],
        foreign_api_key=opts["foreign_api_key"],
        secret_key=opts["secret_key"],
        max_examples=opts["max_examples"],
        seed=opts["seed"],
        rate_limit=parse_rate_limit(opts["rate_limit"]),
        timeout=opts["timeout"],
        headers=tuple(parse_header(h) for h in opts["headers"]),
        ca_cert=opts["ca_cert"],
        insecure=opts["insecure"],
        include_checks=tuple(opts["include"]),
        exclude_checks=tuple(opts["exclude"]),
        duration=parse_duration(duration) if duration else None,
    )
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    with _progress(err) as bar:
        steps = [c for c in select_checks(config.include_checks, config.exclude_checks)]
        total = sum(c.kind == "active" for c in steps) * (mode == "verify") + 2
        task = bar.add_task(f"credkit {mode}", total=total)

        def progress(event: str, detail: str) -> None:
            if event in ("check", "cleanup"):
                bar.advance(task)
            label = {"check": "", "schema": "schemathesis: ", "cleanup": "cleanup of "}[event]
            bar.update(task, description=f"credkit {mode}: {label}{detail}")

        result = run(config, mode=mode, allow=allow, progress=progress)
    print_console(result, out)
    if opts["report"]:
        write_json(result, opts["report"])
    if opts["junit_xml"]:
        write_junit(result, opts["junit_xml"])
    return result.exit_code


def _invoke(mode: str, opts: dict[str, Any]) -> None:
    try:
        code = _main(mode, opts)
    except CredkitError as exc:
        click.echo(f"Error: {exc}", err=True)
        code = exc.exit_code
    sys.stdout.flush()
    raise click.exceptions.Exit(code)


@click.command()
@_options(max_examples=10)
def verify(**opts: Any) -> None:
    """Check a server against the credentials contract (safe against production: touches only
    credentials it creates, named credkit-verify-<run id>-..., and deletes them)."""
    _invoke("verify", opts)


@click.command()
@_options(max_examples=1000)
@click.option(
    "--duration",
    default="10m",
    show_default=True,
    help="Stop cleanly after this long (e.g. 90s, 10m, 1h).",
)
def fuzz(**opts: Any) -> None:
    """Long-running negative and stateful fuzzing under the same safety rules; every distinct
    failure (5xx, timeouts, dropped connections, spec violations) is reported with a
    reproduction."""
    _invoke("fuzz", opts)
