"""Baselines: a run fails only on findings not recorded for the target, and names the recorded
ones that no longer occur; `--baseline-write` records them from the command line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from contracts.baseline import load_baseline, parse_baseline, write_baseline
from contracts.cli import verify
from contracts.config import VerifyConfig
from contracts.outcomes import Finding
from contracts.runner import run
from credkit_core.errors import ConfigError
from mockserver.pytest_plugin import serving
from tests.contracts.broken.errors import delete_unknown_200, unknown_id_500
from tests.contracts.conftest import KEYS


def _finding(check: str, status: int) -> Finding:
    return Finding(check, "GET /api/v1/credentials/{id}", "r", f"id 123 answered {status}",
                   status=status)  # fmt: skip


def test_write_then_load_keeps_one_entry_per_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    findings = [_finding("unknown-id-404", 500), _finding("unknown-id-404", 500),
                _finding("error-shape", 401)]  # fmt: skip
    assert write_baseline(findings, path, "http://127.0.0.1:3000") == 2
    baseline = load_baseline(path)
    assert baseline.fingerprints() == {findings[0].fingerprint, findings[2].fingerprint}
    text = path.read_text()
    assert text.startswith("# credkit baseline") and "123" not in text  # no ids, no values
    document = yaml.safe_load(text)
    assert document["baseline"]["target"] == "http://127.0.0.1:3000"
    # entries no longer seen: only those of checks that ran
    gone = baseline.gone([findings[0]], ran={"unknown-id-404", "error-shape"})
    assert [e.fingerprint for e in gone] == [findings[2].fingerprint]
    assert baseline.gone([findings[0]], ran={"unknown-id-404"}) == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"allow": []}, "a mapping `baseline:` with a list `findings:`"),
        ({"baseline": {"findings": [{"finding": "x"}]}}, "finding 1 has no valid `fingerprint`"),
        ({"baseline": {"findings": [{"fingerprint": "0123456789ab"}]}}, "has no `finding`"),
    ],
)
def test_invalid_baselines_are_errors(document: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as info:
        parse_baseline(document, "b.yaml")
    assert info.value.exit_code == 2
    with pytest.raises(ConfigError, match="cannot read it"):
        load_baseline(Path("/nonexistent/baseline.yaml"))


def test_a_run_fails_only_on_new_findings(
    make_config: Callable[..., VerifyConfig], tmp_path: Path
) -> None:
    path = tmp_path / "baseline.yaml"
    config = {"include_checks": ("unknown-id-404",)}
    with serving(unknown_id_500()) as url:
        first = run(make_config(url, **config))
        assert first.exit_code == 1
        write_baseline([f for o in first.outcomes for f in o.findings], path, url)
        again = run(make_config(url, **config), baseline=load_baseline(path))
    assert again.exit_code == 0 and again.baseline_gone == []
    assert all(f.baselined and f.allowed for o in again.outcomes for f in o.findings)
    # another defect of the same check: new, and the recorded ones are gone (fixed)
    with serving(delete_unknown_200()) as url:
        other = run(make_config(url, **config), baseline=load_baseline(path))
    assert other.exit_code == 1
    new = other.failures()
    assert new and all(f.operation == "DELETE /api/v1/credentials/{id}" for f in new)
    assert {e.fingerprint for e in other.baseline_gone} <= load_baseline(path).fingerprints()
    assert other.baseline_gone


def test_cli_writes_a_baseline_and_reads_it(tmp_path: Path) -> None:
    path, report = tmp_path / "flowise.yaml", tmp_path / "report.json"
    env = {"CREDKIT_API_KEY": KEYS["api_key"]}
    with serving(unknown_id_500()) as url:
        args = ["--base-url", url, "--include-check", "unknown-id-404", "--seed", "1"]
        wrote = CliRunner().invoke(verify, [*args, "--baseline-write", str(path)], env=env)
        assert wrote.exit_code == 0, wrote.output  # recorded: nothing new by definition
        written = re.search(r"Baseline of (\d+) finding\(s\) written", wrote.output)
        assert written is not None and int(written.group(1)) >= 1
        count = int(written.group(1))
        read = CliRunner().invoke(
            verify, [*args, "--baseline", str(path), "--report", str(report)], env=env
        )
    assert read.exit_code == 0, read.output
    assert f"{count} known finding(s), 0 new" in read.output
    data = json.loads(report.read_text())
    assert data["baseline"] == {"source": str(path), "matched": count, "new": 0, "gone": []}
    findings = data["checks"][0]["findings"]
    assert all(f["baselined"] and len(f["fingerprint"]) == 12 for f in findings)
    assert KEYS["api_key"] not in path.read_text() + report.read_text()


def test_cli_baseline_errors_exit_2(tmp_path: Path) -> None:
    env = {"CREDKIT_API_KEY": KEYS["api_key"]}
    missing = tmp_path / "none.yaml"
    result = CliRunner().invoke(
        verify, ["--base-url", "http://127.0.0.1:1", "--baseline", str(missing)], env=env
    )
    assert result.exit_code == 2 and "record one with --baseline-write" in result.output
    result = CliRunner().invoke(
        verify,
        ["--base-url", "http://127.0.0.1:1", "--baseline-write", str(tmp_path / "no/dir.yaml")],
        env=env,
    )
    assert result.exit_code == 2 and "does not exist" in result.output
