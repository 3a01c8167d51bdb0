"""Verify real Flowise with credkit: install (if missing), start, `credkit verify`, report, stop.

    python -m interop.flowise.run                 # or interop/flowise/run.sh
    python -m interop.flowise.run --keep-running  # leave the server up, print its URL
    python -m interop.flowise.run --record 3      # first rewrite the allow file from 3 runs

Runs `credkit verify` twice against a fresh Flowise 3.1.4 (full key + `credentials:view` key):
without `--allow` (expected exit 1: the real server's known departures) and with
`--allow contracts/allow/flowise-3.1.yaml` (expected exit 0). Writes both outputs and a
summary to the report dir (default interop/flowise/reports/). Not part of the default CI: it
needs the ~3 GB npm install. Exits 0 when both exit codes are as expected.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from interop.flowise import server

__all__ = ["ALLOW_FILE", "main", "verify"]

REPO = Path(__file__).resolve().parents[2]
ALLOW_FILE = REPO / "contracts/allow/flowise-3.1.yaml"
DEFAULT_REPORTS = REPO / "interop/flowise/reports"


def _credkit() -> list[str]:
    beside = Path(sys.executable).with_name("credkit")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("credkit")
    return [found] if found else [sys.executable, "-m", "mockserver"]


def verify(
    url: str, keys: dict[str, str], out: Path, *, allow: Path | None, extra: list[str]
) -> int:
    """Run `credkit verify` against `url`; write its output and JSON report (scrubbed) by `out`."""
    report = out.with_suffix(".json")
    command = [*_credkit(), "verify", "--base-url", url, "--report", str(report)]
    if allow is not None:
        command += ["--allow", str(allow)]
    command += extra
    # the keys and passphrase in the environment, not on a command line anyone can list
    env = {
        **os.environ,
        "CREDKIT_API_KEY": keys["full"],
        "CREDKIT_READONLY_API_KEY": keys["view"],
        "CREDKIT_VERIFY_SECRET_KEY": server.PASSPHRASE,
    }
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, check=False)
    shown = "CREDKIT_API_KEY=$API_KEY CREDKIT_READONLY_API_KEY=$API_KEY_VIEWONLY "
    shown += "CREDKIT_VERIFY_SECRET_KEY=$SECRET_KEY "
    shown += f"credkit verify --base-url {url} --report {report.name}"
    shown += f" --allow {allow.relative_to(REPO)}" if allow else ""
    text = f"$ {shown} {' '.join(extra)}\n"
    text += f"# exit code {done.returncode} after {time.monotonic() - started:.0f}s\n\n"
    text += done.stdout + ("\n--- stderr ---\n" + done.stderr if done.stderr else "")
    secrets = {
        **{f"$API_KEY_{r.upper()}": k for r, k in keys.items()},
        "$SECRET_KEY": server.PASSPHRASE,
    }
    for placeholder, value in secrets.items():
        text = text.replace(value, placeholder)
    out.write_text(text, encoding="utf-8")
    if report.exists():
        data = report.read_text(encoding="utf-8")
        for placeholder, value in secrets.items():
            data = data.replace(value, placeholder)
        report.write_text(data, encoding="utf-8")
    return done.returncode


def _record(running: server.RunningFlowise, reports: Path, runs: int, extra: list[str]) -> None:
    """Rewrite the allow file from `runs` runs without it, each with its own seed."""
    from interop.flowise.allowfile import write

    written = []
    for seed in range(1, runs + 1):
        out = reports / f"record-{seed}.txt"
        code = verify(running.url, running.keys, out, allow=None,
                      extra=[*extra, "--seed", str(seed)])  # fmt: skip
        print(f"record run {seed}: exit {code}")
        written.append(out.with_suffix(".json"))
    for signature in write(written, ALLOW_FILE):
        print(f"no documented reason: {signature}")


def _exploration(report: Path) -> dict[str, int] | None:
    if not report.exists():
        return None
    found: dict[str, int] | None = json.loads(report.read_text()).get("exploration")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=None, help="flowise install dir")
    parser.add_argument("--reports", type=Path, default=DEFAULT_REPORTS)
    parser.add_argument("--keep-running", action="store_true", help="do not stop the server")
    parser.add_argument(
        "--record",
        type=int,
        default=0,
        metavar="N",
        help="first rewrite the allow file from N runs without it (seeds 1..N)",
    )
    parser.add_argument("verify_args", nargs="*", help="extra `credkit verify` arguments")
    args = parser.parse_args(argv)

    home = args.home or server.default_home()
    server.install(home)
    args.reports.mkdir(parents=True, exist_ok=True)
    running = server.start(home)
    try:
        print(f"flowise {server.FLOWISE_VERSION} up at {running.url} (pid {running.process.pid})")
        if args.record:
            _record(running, args.reports, args.record, args.verify_args)
        plain = verify(
            running.url,
            running.keys,
            args.reports / "verify.txt",
            allow=None,
            extra=args.verify_args,
        )
        allowed = verify(
            running.url,
            running.keys,
            args.reports / "verify-allow.txt",
            allow=ALLOW_FILE,
            extra=args.verify_args,
        )
    finally:
        if args.keep_running:
            env_file = running.state_dir / "keys.env"
            env_file.write_text(
                f"FLOWISE_PID={running.process.pid}\nFLOWISE_URL={running.url}\n"
                + "".join(f"FLOWISE_KEY_{r.upper()}={k}\n" for r, k in running.keys.items()),
                encoding="utf-8",
            )
            os.chmod(env_file, 0o600)
            print(f"left running; keys in {env_file}")
        else:
            running.stop()
    summary = {
        "flowise": server.FLOWISE_VERSION,
        "exit_without_allow": plain,
        "exit_with_allow": allowed,
        "expected": {"exit_without_allow": 1, "exit_with_allow": 0},
        # the model's exploration: with the allow file it resynchronises on every known
        # departure and runs its whole budget
        "exploration_without_allow": _exploration(args.reports / "verify.json"),
        "exploration_with_allow": _exploration(args.reports / "verify-allow.json"),
    }
    (args.reports / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary))
    return 0 if (plain, allowed) == (1, 0) else 1


if __name__ == "__main__":
    sys.exit(main())
