"""Record the interop scenario against real Flowise (or any server) as scrubbed JSON.

    python -m interop.flowise.record                       # install if needed, start, record, stop
    python -m interop.flowise.record --base-url URL --key full=K --key view=K ...

The output (default tests/recordings/flowise-3.1.4/scenario.json) holds no API key, secret or
runtime id: see `interop.flowise.recording`. `tests/interop/test_replay.py` replays the same
scenario against the mock's `flowise-3.1` profile and compares.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from interop.flowise import server
from interop.flowise.recording import scrub
from interop.flowise.scenario import KEY_ROLES, run_scenario

__all__ = ["DEFAULT_OUTPUT", "main", "record"]

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO / "tests/recordings/flowise-3.1.4/scenario.json"


def record(base_url: str, keys: dict[str, str], passphrase: str | None) -> list[dict[str, Any]]:
    """Run the scenario against `base_url` and return the scrubbed exchanges."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        run = run_scenario(client, keys)
    return scrub(run, passphrase)


def _node_version() -> str:
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def _write(path: Path, exchanges: list[dict[str, Any]], target: str) -> None:
    document = {
        "meta": {
            "server": target,
            "recorded": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "node": _node_version(),
            "python": platform.python_version(),
            "exchanges": len(exchanges),
            "placeholders": "keys: $API_KEY...; secrets and runtime ids: ${name}",
        },
        "exchanges": exchanges,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="record this running server instead of starting one")
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="ROLE=KEY",
        help=f"API key per role ({', '.join(KEY_ROLES)}); with --base-url",
    )
    parser.add_argument(
        "--passphrase",
        default=server.PASSPHRASE,
        help="the server's encryption passphrase ('' to skip decryption)",
    )
    parser.add_argument("--home", type=Path, default=None, help="flowise install dir")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    passphrase = args.passphrase or None
    if args.base_url:
        keys = dict(item.split("=", 1) for item in args.key)
        missing = [role for role in KEY_ROLES if role not in keys]
        if missing:
            parser.error(f"--key needed for: {', '.join(missing)}")
        exchanges = record(args.base_url, keys, passphrase)
        target = args.base_url
    else:
        home = args.home or server.default_home()
        server.install(home)
        with server.start(home) as running:
            print(f"flowise {server.FLOWISE_VERSION} up at {running.url}", file=sys.stderr)
            exchanges = record(running.url, running.keys, passphrase)
        target = f"flowise@{server.FLOWISE_VERSION} (npm), SQLite"
    _write(args.output, exchanges, target)
    print(f"recorded {len(exchanges)} exchanges to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
