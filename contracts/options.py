"""The options of `credkit verify` and `credkit fuzz`, each with its environment variable.

Where the server is and who the run is (`--base-url`, the three keys, `--secret-key`) read the
same variables in both commands and the pytest plugin (`contracts.config.ENV_VARS`); every other
option reads `CREDKIT_VERIFY_<NAME>` (verify) or `CREDKIT_FUZZ_<NAME>` (fuzz). `--help` names
each. A list option given in a variable takes items separated by commas and/or whitespace
(`credkit_core.envvars.parse_list`, as the mock's `CREDKIT_CORS_ORIGIN`); `--header` takes one
header per line (values may hold spaces and commas). `--list-checks` has no variable on
purpose: set in a CI environment it would turn every run into a listing that exits 0.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from contracts.config import ENV_VARS, MAX_CONCURRENCY
from credkit_core.envvars import parse_list

__all__ = ["EXIT_CODES", "NO_ENVVAR", "env_var", "run_options"]

# Options that deliberately read no environment variable (see the module docstring).
NO_ENVVAR = ("list_checks",)

EXIT_CODES = """\b
Exit status:
  0  every check passed or is allowed (skipped checks are listed at the end)
  1  the server violates the contract (or a check errored)
  2  the run could not proceed: bad option or environment variable, report path not
     writable, target unreachable or not the credentials API, a key refused,
     interrupted, cleanup failed, or a check skipped under --fail-on-skip
"""


def env_var(command: str, option: str) -> str:
    """The variable of `option` (`--rate-limit`) in `command` (`verify`/`fuzz`)."""
    name = option.lstrip("-").replace("-", "_")
    return ENV_VARS.get(name, f"CREDKIT_{command.upper()}_{name.upper()}")


class _ListFromEnv(click.types.StringParamType):
    """A repeatable option whose variable holds a comma/whitespace-separated list."""

    def split_envvar_value(self, rv: str) -> list[str]:
        return list(parse_list(rv))


class _LinesFromEnv(click.types.StringParamType):
    """A repeatable option whose variable holds one item per line (`--header`)."""

    def split_envvar_value(self, rv: str) -> list[str]:
        return [line.strip() for line in rv.splitlines() if line.strip()]


def _specs(max_examples: int) -> list[tuple[str, dict[str, Any]]]:
    path = click.Path(dir_okay=False, path_type=Path)
    return [
        (
            "--base-url",
            {"help": "Server root, e.g. http://127.0.0.1:3000 or https://host/flowise (required)."},
        ),
        ("--api-key", {"help": "Key with full credential permissions (required)."}),
        ("--readonly-api-key", {"help": "Same workspace, credentials:view only."}),
        ("--foreign-api-key", {"help": "A key of another workspace."}),
        (
            "--secret-key",
            {"help": "The server's encryption passphrase: enables exact checks of stored data."},
        ),
        (
            "--max-examples",
            {
                "type": click.IntRange(min=1),
                "default": max_examples,
                "show_default": True,
                "help": "Examples per operation and phase (schemathesis).",
            },
        ),
        ("--seed", {"type": int, "help": "Seed for generated data (same seed, same requests)."}),
        (
            "--rate-limit",
            {
                "help": "At most this many requests: a whole number per s, m, h or d (e.g. "
                "10/s, 90/m), handed to schemathesis as given.",
            },
        ),
        (
            "--concurrency",
            {
                "type": click.IntRange(1, MAX_CONCURRENCY),
                "default": 8,
                "show_default": True,
                "help": "Generated sequences (and schemathesis workers) in flight at once; "
                "--rate-limit bounds them all together.",
            },
        ),
        (
            "--timeout",
            {
                "type": float,
                "default": 10.0,
                "show_default": True,
                "help": "Seconds to wait for each answer.",
            },
        ),
        (
            "--header",
            {
                "multiple": True,
                "type": _LinesFromEnv(),
                "help": "Extra header 'Name: value' on every request (repeatable; in the "
                "variable, one per line).",
            },
        ),
        ("--ca-cert", {"type": path, "help": "CA bundle to verify the server's certificate."}),
        ("--insecure", {"is_flag": True, "help": "Do not verify the server's TLS certificate."}),
        ("--list-checks", {"is_flag": True, "help": "List the checks and exit."}),
        (
            "--include-check",
            {
                "multiple": True,
                "type": _ListFromEnv(),
                "help": "Run only this check (repeatable; in the variable, a list).",
            },
        ),
        (
            "--exclude-check",
            {
                "multiple": True,
                "type": _ListFromEnv(),
                "help": "Do not run this check (repeatable; in the variable, a list).",
            },
        ),
        ("--fail-on-skip", {"is_flag": True, "help": "Exit 2 when any check was skipped."}),
        (
            "--max-failures",
            {
                "type": click.IntRange(min=1),
                "help": "Stop the generated exploration after this many distinct findings "
                "(default: explore the whole budget, report every one).",
            },
        ),
        ("--junit-xml", {"type": path, "help": "Write a JUnit XML report here."}),
        (
            "--html",
            {"type": path, "help": "Write a self-contained HTML report here (for a person)."},
        ),
        (
            "--report",
            {"type": path, "help": "Write the JSON report here (docs/report-schema.json)."},
        ),
        ("--allow", {"type": path, "help": "YAML file of accepted deviations."}),
        (
            "--baseline",
            {
                "type": path,
                "help": "Fail only on findings not in this baseline file; name its entries "
                "that no longer occur.",
            },
        ),
        (
            "--baseline-write",
            {"type": path, "help": "Write every finding of this run as a baseline file."},
        ),
    ]


# The keyword each option arrives under in the command function, where it is not the option's
# own name.
_DEST = {
    "--header": "headers",
    "--include-check": "include",
    "--exclude-check": "exclude",
    "--allow": "allow_file",
    "--baseline": "baseline_file",
    "--baseline-write": "baseline_write",
}


def run_options(
    command: str, max_examples: int, extra: tuple[tuple[str, dict[str, Any]], ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a command with the run options (and `extra` ones), each with its variable."""
    options = []
    for flag, kwargs in [*_specs(max_examples), *extra]:
        name = flag.lstrip("-").replace("-", "_")
        if name in NO_ENVVAR:  # not even the group's automatic CREDKIT_<COMMAND>_<NAME>
            kwargs = {**kwargs, "allow_from_autoenv": False}
        else:
            kwargs = {**kwargs, "envvar": env_var(command, flag), "show_envvar": True}
        decls = [flag, _DEST[flag]] if flag in _DEST else [flag]
        options.append(click.option(*decls, **kwargs))

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate
