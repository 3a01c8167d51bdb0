"""`credkit verify` and `credkit fuzz`: a thin layer of click over `contracts.runner.run`.

Exit codes (`contracts.options.EXIT_CODES`): 0 every check passed or is allowed; 1 a contract
violation; 2 the run could not proceed (bad arguments, a report path that cannot be written,
unreachable server, not the credentials API, keys refused, interrupted, cleanup failed, a skip
under --fail-on-skip). Whatever goes wrong, the user sees one line, never a traceback, and
never a key.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Any

import click

from contracts.config import ENV_VARS
from contracts.dependencies import require_suite
from contracts.options import EXIT_CODES, run_options
from credkit_core.clicommand import OneLineErrors
from credkit_core.errors import ConfigError, CredkitError

__all__ = ["fuzz", "verify"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def parse_duration(value: str) -> float:
    """`90`, `90s`, `10m`, `1h` → seconds."""
    match = _DURATION.match(value)
    if match is None:
        raise ConfigError(f"--duration {value!r} is not a duration; use e.g. 90s, 10m or 1h.")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


class _NoBar:
    """The progress bar's interface, doing nothing: where standard error is not a terminal (a
    CI log), a bar would only leave blank lines; fuzz prints plain progress lines instead."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: int) -> int:
        return 0

    def advance(self, task: int) -> None:
        return None

    def update(self, task: int, description: str) -> None:
        return None


def _progress(console: Any) -> Any:
    if not console.is_terminal:
        return _NoBar()
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
    from contracts.baseline import load_baseline, write_baseline
    from contracts.checks import select_checks
    from contracts.config import VerifyConfig, parse_header
    from contracts.report import (
        check_output_path,
        print_console,
        write_bodies,
        write_json,
        write_junit,
    )
    from contracts.runner import apply_baseline, run

    if opts.pop("list_checks"):
        _list_checks()
        return 0
    require_suite(f"credkit {mode}")
    if not opts["base_url"]:
        raise ConfigError(
            f"--base-url (or {ENV_VARS['base_url']}) is required: the server root, "
            "e.g. http://127.0.0.1:3000."
        )
    duration = opts.get("duration")
    config = VerifyConfig(
        base_url=opts["base_url"],
        api_key=opts["api_key"],
        readonly_api_key=opts["readonly_api_key"],
        foreign_api_key=opts["foreign_api_key"],
        secret_key=opts["secret_key"],
        max_examples=opts["max_examples"],
        seed=opts["seed"],
        rate_limit=opts["rate_limit"],
        concurrency=opts["concurrency"],
        timeout=opts["timeout"],
        headers=tuple(parse_header(h) for h in opts["headers"]),
        ca_cert=opts["ca_cert"],
        insecure=opts["insecure"],
        include_checks=tuple(opts["include"]),
        exclude_checks=tuple(opts["exclude"]),
        duration=parse_duration(duration) if duration else None,
        fail_on_skip=opts["fail_on_skip"],
        max_failures=opts["max_failures"],
    )
    report, junit, html = opts["report"], opts["junit_xml"], opts["html"]
    for path, option in ((report, "--report"), (junit, "--junit-xml"), (html, "--html")):
        if path is not None:
            check_output_path(path, option)
    allow = load_allow(opts["allow_file"]) if opts["allow_file"] else None
    baseline = load_baseline(opts["baseline_file"]) if opts["baseline_file"] else None
    if opts["baseline_write"] is not None:
        check_output_path(opts["baseline_write"], "--baseline-write")
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    started = time.monotonic()
    with _progress(err) as bar:
        steps = [c for c in select_checks(config.include_checks, config.exclude_checks)]
        total = sum(c.kind == "active" for c in steps) * (mode == "verify") + 2
        task = bar.add_task(f"credkit {mode}", total=total)
        state: dict[str, Any] = {"label": "", "counts": "", "printed": 0.0}

        def progress(event: str, detail: str) -> None:
            if event in ("check", "cleanup"):
                bar.advance(task)
            if event == "requests":
                sent, found = detail.split("/")
                left = ""
                if config.duration:
                    remaining = max(0, int(config.duration - (time.monotonic() - started)))
                    left = f", {remaining // 60}m{remaining % 60:02d}s left"
                plural = "" if int(sent) == 1 else "s"
                state["counts"] = f"{int(sent):,} request{plural}, {found} findings{left}"
                if mode == "fuzz" and not err.is_terminal:
                    now = time.monotonic()
                    if not state["printed"] or now - state["printed"] >= 30:
                        state["printed"] = now
                        err.print(f"credkit {mode}: {state['counts']}", soft_wrap=True)
            else:
                label = {"check": "", "schema": "schemathesis: ", "cleanup": "cleanup of "}
                state["label"] = f"{label[event]}{detail}"
            counts = f" [{state['counts']}]" if state["counts"] else ""
            bar.update(task, description=f"credkit {mode}: {state['label']}{counts}")

        result = run(config, mode=mode, allow=allow, baseline=baseline, progress=progress)
    target = report or junit or html
    bodies_dir = target.expanduser().parent if target is not None else None
    written = opts["baseline_write"]
    try:
        if written is not None and result.abort_reason is None:
            everything = [f for o in result.outcomes for f in o.findings]
            count = write_baseline(result.setup_findings + everything, written, config.base_url)
            apply_baseline(result, load_baseline(written), fail_on_skip=config.fail_on_skip)
            err.print(f"Baseline of {count} finding(s) written to {written}.")
        if result.bodies and bodies_dir is not None:
            write_bodies(result, bodies_dir)
        print_console(result, out, bodies_dir=bodies_dir)
        if report:
            write_json(result, report)
        if junit:
            write_junit(result, junit)
        if html:
            from contracts.html_report import write_html

            write_html(result, html)

    except OSError as exc:
        raise ConfigError(
            f"could not write the report: {exc.strerror or exc} ({exc.filename}); the run "
            f"itself ended with exit {result.exit_code}."
        ) from None
    return result.exit_code


def _invoke(mode: str, opts: dict[str, Any]) -> None:
    try:
        code = _main(mode, dict(opts))
    except CredkitError as exc:
        click.echo(f"Error: {_scrub(str(exc), opts)}", err=True)
        code = exc.exit_code
    except Exception as exc:  # a bug in credkit: still one line, still no key
        text = _scrub(f"{type(exc).__name__}: {exc}", opts)
        click.echo(
            f"Error: credkit {mode} failed unexpectedly ({text}). This is a bug in credkit; "
            "please report it with the command line (keys left out).",
            err=True,
        )
        code = 2
    sys.stdout.flush()
    raise click.exceptions.Exit(code)


def _scrub(text: str, opts: dict[str, Any]) -> str:
    """`text` without any key, passphrase or --header value given (as a last line of defence:
    messages are written not to contain them)."""
    values = [opts.get(name) for name in ("api_key", "readonly_api_key", "foreign_api_key")]
    values.append(opts.get("secret_key"))
    values += [h.partition(":")[2].strip() for h in opts.get("headers") or ()]
    for value in sorted((v for v in values if v and len(v) >= 4), key=len, reverse=True):
        text = text.replace(value, "***")
    return text


@click.command(cls=OneLineErrors, epilog=EXIT_CODES)
@run_options(
    "verify",
    max_examples=10,
    extra=(
        (
            "--duration",
            {
                "help": "Bound the run by time (e.g. 60s, 5m): the generated exploration "
                "and schemathesis stop early, with what they found so far.",
            },
        ),
    ),
)
def verify(**opts: Any) -> None:
    """Check a server against the credentials contract.

    Safe against production: it touches only credentials it creates (named
    credkit-verify-<run id>-...) and deletes them at the end, also on failure or Ctrl-C.
    """
    _invoke("verify", opts)


@click.command(cls=OneLineErrors, epilog=EXIT_CODES)
@run_options(
    "fuzz",
    max_examples=1000,
    extra=(
        (
            "--duration",
            {
                "default": "10m",
                "show_default": True,
                "help": "Stop cleanly after this long (e.g. 90s, 10m, 1h).",
            },
        ),
    ),
)
def fuzz(**opts: Any) -> None:
    """Fuzz a server for a while under verify's safety rules.

    Long-running negative and stateful fuzzing; every distinct failure (5xx, timeouts,
    dropped connections, spec violations) is reported with a reproduction. Progress
    (requests, findings, time left) goes to standard error.
    """
    _invoke("fuzz", opts)
