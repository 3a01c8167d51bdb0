"""The `credkit` command line: help, version, spec and fixtures subcommands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from credkit_cli import cli
from credkit_core import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_every_subcommand() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    for name in ("serve", "verify", "fuzz", "fixtures", "spec"):
        assert f"\n  {name} " in result.stdout, name


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"credkit, version {__version__}"


def test_spec_validate_and_print() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["spec", "validate"])
    assert result.exit_code == 0, result.output
    assert "credentials.openapi.yaml: valid OpenAPI 3.1.0" in result.output
    result = runner.invoke(cli, ["spec", "print", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["info"]["title"].startswith("Flowise credentials API")


def test_spec_validate_reports_an_invalid_document(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["spec", "validate", str(bad)])
    assert result.exit_code == 2
    assert "is not a valid OpenAPI document" in result.output and "version" in result.output


def test_fixtures_generate_then_check(tmp_path: Path) -> None:
    out = tmp_path / "seed.yaml"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["fixtures", "generate", "--count", "5", "--seed", "2", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(yaml.safe_load(out.read_text(encoding="utf-8"))["credentials"]) == 5
    result = runner.invoke(cli, ["fixtures", "check", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 credentials" in result.output
    again = tmp_path / "again.json"
    runner.invoke(
        cli, ["fixtures", "generate", "--count", "5", "--seed", "2", "--output", str(again)]
    )
    assert json.loads(again.read_text(encoding="utf-8")) == yaml.safe_load(
        out.read_text(encoding="utf-8")
    )


def test_fixtures_check_reports_errors_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "credentials:\n"
        "  - {name: x, credentialName: nope, workspace: workspace-123, plainDataObj: {}}\n"
    )
    result = CliRunner().invoke(cli, ["fixtures", "check", str(bad)])
    assert result.exit_code == 2
    assert (
        "credentials[0]" in result.output
        and "'nope' is not a known credential type" in result.output
    )


def test_bundled_data_is_found_from_any_directory(tmp_path: Path) -> None:
    code = (
        "from credkit_core.resources import CREDENTIALS_SPEC, CATALOG, DEFAULT_FIXTURES;"
        "print(all(p.is_file() for p in (CREDENTIALS_SPEC, CATALOG, DEFAULT_FIXTURES)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_command_summaries_are_whole_sentences() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    listing = result.output.split("Commands:\n", 1)[1]
    for name, command in cli.commands.items():
        [line] = [row for row in listing.splitlines() if row.split()[:1] == [name]]
        summary = line.split(None, 1)[1]
        assert not summary.endswith("..."), line
        assert summary == command.get_short_help_str(limit=1000), line
        assert summary.endswith("."), line
