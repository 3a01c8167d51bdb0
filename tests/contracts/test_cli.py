"""`credkit verify` / `credkit fuzz` from the command line: exit codes first, then output."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from contracts.cli import fuzz, parse_duration, verify
from tests.contracts.conftest import KEYS

CREDKIT = str(Path(sys.executable).with_name("credkit"))
ENV_KEYS = {
    "CREDKIT_API_KEY": KEYS["api_key"],
    "CREDKIT_READONLY_API_KEY": KEYS["readonly_api_key"],
    "CREDKIT_FOREIGN_API_KEY": KEYS["foreign_api_key"],
}


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        verify, list(args), env={**ENV_KEYS, **(env or {})}, catch_exceptions=False
    )
    return result.exit_code, result.output


def test_list_checks_needs_no_server() -> None:
    code, output = invoke("--list-checks")
    assert code == 0
    assert "update-partial-merge" in output and "negative_data_rejection" in output
    assert "needs --api-key, --secret-key" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--base-url (or CREDKIT_BASE_URL) is required"),
        (("--base-url", "ftp://x"), "is not an http(s) URL"),
        (("--base-url", "http://127.0.0.1:1", "--rate-limit", "fast"), "is not a rate"),
        (
            ("--base-url", "http://127.0.0.1:1", "--include-check", "update-partial-merg"),
            "Did you mean 'update-partial-merge'",
        ),
        (("--base-url", "http://127.0.0.1:1", "--header", "Authorization: x"), "not allowed"),
        (
            ("--base-url", "http://127.0.0.1:1", "--insecure", "--ca-cert", __file__),
            "exclude each other",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    code, output = invoke(*args)
    assert code == 2
    assert message in output


def test_unknown_check_in_allow_file_exits_2(tmp_path: Path) -> None:
    allow = tmp_path / "allow.yaml"
    allow.write_text("allow:\n  - check: update-partial-merj\n    reason: x\n")
    code, output = invoke("--base-url", "http://127.0.0.1:1", "--allow", str(allow))
    assert code == 2
    assert "Did you mean 'update-partial-merge'" in output


def test_unreachable_server_exits_2(mock_url: str) -> None:
    code, output = invoke(
        "--base-url",
        "http://127.0.0.1:9",
        "--timeout",
        "2",
        "--include-check",
        "update-response-id",
    )
    assert code == 2
    assert "could not proceed" in output and "ConnectError" in output
    assert len(output.strip().splitlines()) == 1


def test_verify_writes_reports_and_never_prints_keys(mock_url: str, tmp_path: Path) -> None:
    code, output = invoke(
        "--base-url",
        mock_url,
        "--include-check",
        "update-partial-merge",
        "--include-check",
        "readonly-can-read",
        "--report",
        str(tmp_path / "r.json"),
        "--junit-xml",
        str(tmp_path / "j.xml"),
        "--rate-limit",
        "50/s",
    )
    assert code == 0, output
    assert json.loads((tmp_path / "r.json").read_text())["exitCode"] == 0
    assert (tmp_path / "j.xml").read_text().startswith("<?xml")
    assert not any(key in output for key in KEYS.values())


def test_durations() -> None:
    assert (
        parse_duration("10m") == 600 and parse_duration("90") == 90 and parse_duration("1h") == 3600
    )


def test_fuzz_stops_at_the_deadline(mock_url: str) -> None:
    # (the deadline itself is checked on a fake clock in test_runner.py: no timing here)
    result = CliRunner().invoke(
        fuzz,
        ["--base-url", mock_url, "--duration", "4s", "--max-examples", "5", "--seed", "3"],
        env=ENV_KEYS,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "not_a_server_error" in result.output and "update-partial-merge" not in result.output
    # progress on standard error while it runs (not a terminal here: plain lines), the count
    # of requests in the summary
    progress = [line for line in result.stderr.splitlines() if line.startswith("credkit fuzz: ")]
    assert progress, result.stderr
    assert re.fullmatch(r"credkit fuzz: [\d,]+ requests?, \d+ findings, \dm\d\ds left", progress[0])
    sent = re.search(r"([\d,]+) requests sent \(exit 0\)", result.stdout)
    last = re.match(r"credkit fuzz: ([\d,]+)", progress[-1])
    assert sent and last
    assert int(sent.group(1).replace(",", "")) >= int(last.group(1).replace(",", "")) > 0


def test_large_bodies_are_written_beside_the_report_and_the_curl_runs(tmp_path: Path) -> None:
    from mockserver.app import create_app
    from mockserver.config import Config
    from mockserver.pytest_plugin import serving

    flowise = create_app(Config(access_log=False, log_level="warning", profile="flowise-3.1"))
    out = tmp_path / "out"
    out.mkdir()
    args = ["--include-check", "malformed-json-400", "--report", str(out / "report.json")]
    with serving(flowise) as url:  # accepts 10k-deep nesting: a finding whose body is 20 kB
        code, output = invoke("--base-url", url, *args)
        assert code == 1, output
        [name] = [p.name for p in out.iterdir() if p.name.startswith("credkit-body-")]
        assert (out / name).read_bytes() == b"[" * 10000 + b"]" * 10000
        assert "1 request body file(s) for the reproductions written to" in " ".join(output.split())
        report = json.loads((out / "report.json").read_text())
        curls = [f["curl"] for c in report["checks"] for f in c["findings"] if f["curl"]]
        big = [c for c in curls if f"--data-binary @{name}" in c]
        assert big and not any("..." in c.split("--data-binary")[1] for c in big)
        put = next(c for c in big if "curl -X PUT" in c)
        if shutil.which("curl") and shutil.which("jq"):  # the reproduction runs as printed
            replay = subprocess.run(
                ["bash", "-c", "set -eo pipefail\n" + put],
                cwd=out,
                env={**os.environ, "API_KEY": KEYS["api_key"]},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert replay.returncode == 0, replay.stderr
            assert json.loads(replay.stdout)["id"]  # the defect again: 10k-deep nesting accepted


def test_without_a_report_large_bodies_are_not_written_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockserver.app import create_app
    from mockserver.config import Config
    from mockserver.pytest_plugin import serving

    flowise = create_app(Config(access_log=False, log_level="warning", profile="flowise-3.1"))
    monkeypatch.chdir(tmp_path)
    with serving(flowise) as url:
        result = CliRunner().invoke(
            verify,
            ["--base-url", url, "--include-check", "malformed-json-400"],
            env=ENV_KEYS,
            catch_exceptions=False,
        )
        assert result.exit_code == 1
        assert "not saved: give --report or --junit-xml" in " ".join(result.output.split())
        assert list(tmp_path.iterdir()) == []


# ---- end to end: a real `credkit serve --port 0` process -----------------------------------


@pytest.fixture
def served() -> Iterator[str]:
    env = {**os.environ, "CREDKIT_SECRET_KEY": "e2e-passphrase"}
    process = subprocess.Popen(
        [CREDKIT, "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url, "no URL in the banner"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.e2e
def test_verify_passes_against_credkit_serve_and_leaves_data_untouched(
    served: str, tmp_path: Path
) -> None:
    before = httpx.get(f"{served}/__admin/state").json()
    started = time.monotonic()
    report = tmp_path / "report.json"
    process = subprocess.run(
        [
            CREDKIT,
            "verify",
            "--base-url",
            served,
            "--secret-key",
            "e2e-passphrase",
            "--report",
            str(report),
        ],
        env={**os.environ, **ENV_KEYS},
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert process.returncode == 0, process.stdout[-3000:]
    assert "all checks passed" in process.stdout
    assert httpx.get(f"{served}/__admin/state").json() == before
    summary = json.loads(report.read_text())["summary"]
    assert summary["failed"] == summary["skipped"] == summary["error"] == 0  # every key given
    print(f"verify against credkit serve: {elapsed:.1f}s")


@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_verify_cleans_up_and_exits_2(served: str, sig: signal.Signals) -> None:
    before = httpx.get(f"{served}/__admin/state").json()
    process = subprocess.Popen(
        [CREDKIT, "verify", "--base-url", served],
        env={**os.environ, **ENV_KEYS},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the run has created something
        names = [c["name"] for c in httpx.get(f"{served}/__admin/state").json()["credentials"]]
        if any(n.startswith("credkit-verify-") for n in names):
            break
        time.sleep(0.05)
    process.send_signal(sig)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2, output[-2000:]
    assert "interrupted" in output
    assert httpx.get(f"{served}/__admin/state").json() == before


def test_a_report_that_fails_to_write_after_the_run_is_one_line_and_exit_2(
    mock_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(result: object, path: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr("contracts.report.write_json", disk_full)
    report = tmp_path / "r.json"
    code, output = invoke(
        "--base-url", mock_url, "--include-check", "update-response-id", "--report", str(report)
    )
    assert code == 2
    assert output.strip().splitlines()[-1] == (
        f"Error: could not write the report: No space left on device ({report}); the run "
        "itself ended with exit 0."
    )
    assert "Traceback" not in output


def test_an_unexpected_error_is_one_line_without_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"boom near {KEYS['api_key']}")

    monkeypatch.setattr("contracts.runner.run", broken)
    code, output = invoke("--base-url", "http://127.0.0.1:9")
    assert code == 2
    assert output.startswith("Error: credkit verify failed unexpectedly (RuntimeError: boom near ")
    assert KEYS["api_key"] not in output and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1
