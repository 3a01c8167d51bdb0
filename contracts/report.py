"""Reports of a run: the console summary, the JSON report (docs/report-schema.json), JUnit XML."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from contracts.checks import Finding
from contracts.config import ENV_VARS
from contracts.runner import RunResult
from credkit_core import __version__
from credkit_core.errors import ConfigError

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "check_output_path",
    "print_console",
    "to_json",
    "write_bodies",
    "write_json",
    "write_junit",
]

REPORT_SCHEMA_VERSION = 1
_STYLE = {
    "passed": "green",
    "failed": "bold red",
    "allowed": "yellow",
    "skipped": "dim",
    "error": "magenta",
}


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "check": f.check,
        "operation": f.operation,
        "requirement": f.requirement,
        "observed": f.observed,
        "status": f.status,
        "curl": f.curl,
        "allowed": f.allowed,
        "allowReason": f.allowed_reason,
        "fingerprint": f.fingerprint,
        "signature": f.signature,
        "baselined": f.baselined,
    }


def _baseline(result: RunResult) -> dict[str, Any] | None:
    if result.baseline is None:
        return None
    found = [f for o in result.outcomes for f in o.findings] + result.setup_findings
    return {
        "source": result.baseline.source,
        "matched": sum(f.baselined for f in found),
        "new": sum(not f.baselined for f in found),
        "gone": [{"fingerprint": e.fingerprint, "finding": e.finding}
                 for e in result.baseline_gone],
    }  # fmt: skip


def to_json(result: RunResult) -> dict[str, Any]:
    """The JSON report (see docs/report-schema.json)."""
    summary = {s: 0 for s in _STYLE}
    for o in result.outcomes:
        summary[o.status] += 1
    return {
        "schemaVersion": REPORT_SCHEMA_VERSION,
        "tool": {"name": "credkit", "version": __version__},
        "mode": result.mode,
        "runId": result.run_id,
        "baseUrl": result.base_url,
        "exitCode": result.exit_code,
        "abortReason": result.abort_reason,
        "durationSeconds": round(result.seconds, 3),
        "requests": result.requests,
        "summary": summary,
        "checks": [
            {
                "name": o.check.name,
                "group": o.check.group,
                "requirement": o.check.requirement,
                "status": o.status,
                "reason": o.reason,
                "durationSeconds": None if o.seconds is None else round(o.seconds, 3),
                "findings": [_finding(f) for f in o.findings],
            }
            for o in result.outcomes
        ],
        "setupFindings": [_finding(f) for f in result.setup_findings],
        "cleanup": {"created": result.created, "leftovers": list(result.leftovers)},
        "baseline": _baseline(result),
        "unseen": result.unseen,
        "exploration": result.exploration or None,
    }


def check_output_path(path: Path, option: str) -> None:
    """Before a run: `path` can be written (its directory exists and takes a new file), so a
    report that cannot be written stops the run before it starts (exit 2), not after it. The
    probe file is removed again."""
    target = path.expanduser()
    directory = target.parent
    if target.is_dir():
        raise ConfigError(f"{option} {path} is a directory; give a file name, e.g. {path}/x.")
    if not directory.is_dir():
        raise ConfigError(
            f"{option} {path}: the directory {directory} does not exist; create it first "
            f"(mkdir -p {directory})."
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".credkit-probe-", dir=directory)
        os.close(fd)
        os.unlink(probe)
        if target.exists() and not os.access(target, os.W_OK):
            raise PermissionError(f"{target} is read-only")
    except OSError as exc:
        raise ConfigError(
            f"{option} {path}: cannot write there ({exc.strerror or exc}); pick a writable "
            "directory."
        ) from None


def write_bodies(result: RunResult, directory: Path) -> list[Path]:
    """Write the large request bodies the reproductions read (`--data-binary @name`) into
    `directory` (beside the report); the paths written."""
    written = []
    for name, data in result.bodies.items():
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written


def write_json(result: RunResult, path: Path) -> None:
    path.write_text(
        json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def write_junit(result: RunResult, path: Path) -> None:
    """One testsuite, one testcase per check; failures carry the findings."""
    suite = ET.Element(
        "testsuite",
        name=f"credkit {result.mode}",
        tests=str(len(result.outcomes)),
        failures=str(sum(o.status == "failed" for o in result.outcomes)),
        errors=str(sum(o.status == "error" for o in result.outcomes)),
        skipped=str(sum(o.status == "skipped" for o in result.outcomes)),
        time=f"{result.seconds:.3f}",
    )
    for o in result.outcomes:
        case = ET.SubElement(
            suite, "testcase", classname=f"credkit.{o.check.group}", name=o.check.name
        )
        if o.seconds is not None:  # a schemathesis check has no time of its own
            case.set("time", f"{o.seconds:.3f}")
        text = "\n\n".join(_finding_text(f) for f in o.findings)
        if o.status == "failed":
            ET.SubElement(case, "failure", message=o.check.requirement).text = text
        elif o.status == "error":
            ET.SubElement(case, "error", message=o.reason or "error").text = text
        elif o.status == "skipped":
            ET.SubElement(case, "skipped", message=o.reason or "skipped")
        elif o.status == "allowed":
            ET.SubElement(case, "system-out").text = "allowed deviations:\n\n" + text
    if result.abort_reason or result.leftovers or result.setup_findings:
        case = ET.SubElement(suite, "testcase", classname="credkit.run", name="setup-and-cleanup")
        lines = [result.abort_reason or ""] + [_finding_text(f) for f in result.setup_findings]
        if result.leftovers:
            lines.append("left behind: " + ", ".join(result.leftovers))
        ET.SubElement(case, "error", message="run could not complete cleanly").text = "\n".join(
            filter(None, lines)
        )
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _finding_text(f: Finding) -> str:
    lines = [
        f"[{f.operation}] required: {f.requirement}",
        f"observed: {f.observed}",
        f"fingerprint: {f.fingerprint} ({f.signature})",
    ]
    if f.allowed_reason:
        lines.append(f"allowed: {f.allowed_reason}")
    if f.curl:
        lines.append(f"reproduce: {f.curl}")
    return "\n".join(lines)


def print_console(result: RunResult, console: Console, *, bodies_dir: Path | None = None) -> None:
    """The summary table, then each failure with what to do about it, the skipped checks and
    the verdict. A run stopped before any check (wrong target, keys refused) is one line."""
    if result.abort_reason and not result.outcomes and not result.setup_findings:
        console.print(
            f"[bold red]credkit {result.mode} could not proceed:[/] "
            f"{escape(result.abort_reason)} (exit {result.exit_code})",
            soft_wrap=True,
        )
        return
    table = Table(title=f"credkit {result.mode} — {result.base_url} (run {result.run_id})")
    for column in ("check", "result", "count"):
        table.add_column(column)
    for o in result.outcomes:
        count = str(len(o.findings)) if o.findings else ""
        label = o.status + (
            f" ({o.reason})" if o.reason and o.status in ("skipped", "error") else ""
        )
        table.add_row(o.check.name, f"[{_STYLE[o.status]}]{escape(label)}[/]", count)
    console.print(table)
    for f in result.failures():
        console.rule(f"[bold red]{escape(f.check)}[/] {escape(f.operation)}")
        console.print(f"[bold]The contract requires:[/] {escape(f.requirement)}")
        console.print(f"[bold]The server did:[/] {escape(f.observed)}")
        if f.curl:
            console.print("[bold]Reproduce:[/]", escape(f.curl), soft_wrap=True)
        console.print(f"[bold]Fingerprint:[/] {f.fingerprint} [dim]{escape(f.signature)}[/]")
    allowed = [f for o in result.outcomes for f in o.findings if f.allowed and not f.baselined]
    if allowed:
        console.print(f"[yellow]{len(allowed)} allowed deviation(s)[/] (listed in the allow file).")
    _print_baseline(result, console)
    if result.exploration:
        seen = result.exploration
        console.print(
            f"Model exploration: {seen.get('sequences', 0):,} sequences, "
            f"{seen.get('requests', 0):,} requests, {seen.get('distinct', 0)} distinct "
            f"divergence(s) ({seen.get('expected', 0)} fingerprint(s) expected beforehand)."
        )
    if result.unseen:
        console.print(f"[yellow]Not seen:[/] {escape(result.unseen)}.", soft_wrap=True)
    if result.bodies:
        where = (
            f"written to {bodies_dir}"
            if bodies_dir is not None
            else "not saved: give --report or --junit-xml to have them written beside it"
        )
        console.print(f"{len(result.bodies)} request body file(s) for the reproductions {where}.")
    if result.leftovers:
        console.print(
            f"[bold red]Cleanup failed:[/] left behind credential ids {', '.join(result.leftovers)}"
        )
    if result.abort_reason:
        console.print(f"[bold red]Could not proceed:[/] {escape(result.abort_reason)}")
    _print_skipped(result, console)
    verdict = {
        0: "[green]all checks passed or allowed[/]",
        1: "[bold red]contract violations found[/]",
        2: "[bold red]could not complete[/]",
    }[result.exit_code]
    skipped = sum(o.status == "skipped" for o in result.outcomes)
    if result.exit_code == 0 and skipped == len(result.outcomes):
        verdict = "[yellow]nothing was checked: every selected check was skipped[/]"
    elif skipped:
        verdict += f" ({skipped} skipped)"
    console.print(
        f"{verdict} in {result.seconds:.1f}s, {result.requests:,} requests sent "
        f"(exit {result.exit_code})"
    )


def _print_baseline(result: RunResult, console: Console) -> None:
    """How the run compares with --baseline: known findings, new ones, entries now gone."""
    summary = _baseline(result)
    if summary is None:
        return
    console.print(
        f"Baseline {escape(summary['source'])}: {summary['matched']} known finding(s), "
        f"[{'bold red' if summary['new'] else 'green'}]{summary['new']} new[/].",
        soft_wrap=True,
    )
    if result.baseline_gone:
        console.print(
            f"[green]{len(result.baseline_gone)} baseline entr"
            f"{'y' if len(result.baseline_gone) == 1 else 'ies'} no longer occur[/] (fixed "
            "upstream? rewrite the file with --baseline-write to shrink it):"
        )
        for entry in result.baseline_gone:
            console.print(f"  {entry.fingerprint}  {escape(entry.finding)}", soft_wrap=True)


_OPTION = re.compile(r"--[a-z-]+")


def _print_skipped(result: RunResult, console: Console) -> None:
    """Which checks were skipped and what would enable them, grouped by reason."""
    by_reason: dict[str, list[str]] = defaultdict(list)
    for o in result.outcomes:
        if o.status == "skipped":
            by_reason[o.reason or "skipped"].append(o.check.name)
    if not by_reason:
        return
    total = sum(len(names) for names in by_reason.values())
    console.print(
        f"[bold yellow]{total} check(s) skipped[/] — not verified "
        "(--fail-on-skip makes a skip exit 2):"
    )
    for reason, names in by_reason.items():
        console.print(f"  [yellow]{escape(_with_env(reason))}:[/] {', '.join(names)}")


def _with_env(reason: str) -> str:
    """`needs --readonly-api-key` → `needs --readonly-api-key (CREDKIT_READONLY_API_KEY)`."""
    variables = {"--" + name.replace("_", "-"): var for name, var in ENV_VARS.items()}
    return _OPTION.sub(
        lambda m: f"{m.group(0)} ({variables[m.group(0)]})" if m.group(0) in variables else m[0],
        reason,
    )
