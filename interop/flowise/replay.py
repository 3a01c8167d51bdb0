"""Replay the interop scenario against the mock (`flowise-3.1` profile, in-process) and compare.

    python -m interop.flowise.replay [--recording FILE] [-v]

Prints one line per exchange that departs from the recording, then the match rate. Exits 0
when every exchange matches or only withholds a secret the scenario expects to be withheld.
`tests/interop/test_replay.py` asserts the same in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

from interop.flowise.recording import Comparison, compare, scrub
from interop.flowise.scenario import run_scenario
from interop.flowise.steps import STEPS

__all__ = [
    "MOCK_KEYS",
    "MOCK_PASSPHRASE",
    "RECORDING",
    "InProcessClient",
    "compare_all",
    "replay_mock",
]

REPO = Path(__file__).resolve().parents[2]
RECORDING = REPO / "tests/recordings/flowise-3.1.4/scenario.json"
FIXTURES = REPO / "tests/interop/flowise31-fixtures.yaml"
MOCK_PASSPHRASE = "credkit-interop-replay"  # test data only
MOCK_KEYS = {
    "full": "dev-admin-key",
    "view": "dev-readonly-key",
    "nocred": "interop-nocred-key",
    "create": "interop-create-key",
}


class InProcessClient:
    """A synchronous `request()` over httpx's ASGITransport on a private loop (no server)."""

    def __init__(self, app: Any) -> None:
        self.loop = asyncio.new_event_loop()
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.http.request(method, url, **kwargs))

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())
        self.loop.close()


def replay_mock(fixtures: Path = FIXTURES) -> list[dict[str, Any]]:
    """The scenario run in-process against a fresh mock in the `flowise-3.1` profile, scrubbed."""
    from mockserver.app import create_app
    from mockserver.config import Config

    config = Config(
        profile="flowise-3.1", fixtures=fixtures, secret_key=MOCK_PASSPHRASE, access_log=False
    )
    client = InProcessClient(create_app(config))
    try:
        run = run_scenario(client, MOCK_KEYS)
    finally:
        client.close()
    return scrub(run, MOCK_PASSPHRASE)


def compare_all(recorded: list[dict[str, Any]], replayed: list[dict[str, Any]]) -> list[Comparison]:
    """One comparison per recorded exchange, matched by step name."""
    by_step = {exchange["step"]: exchange for exchange in replayed}
    out = []
    for exchange in recorded:
        if exchange["step"] in by_step:
            out.append(compare(exchange, by_step[exchange["step"]]))
        else:
            out.append(Comparison(exchange["step"], ["not replayed"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recording", type=Path, default=RECORDING)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every difference")
    args = parser.parse_args(argv)
    recorded = json.loads(args.recording.read_text(encoding="utf-8"))["exchanges"]
    results = compare_all(recorded, replay_mock())
    expected_withheld = {step.name for step in STEPS if step.divergence}
    exact = sum(r.matches for r in results)
    withheld = [r for r in results if not r.differences and r.withheld]
    failed = [
        r for r in results if r.differences or (r.withheld and r.step not in expected_withheld)
    ]
    for result in results:
        if not result.matches:
            tag = "WITHHELD" if result in withheld else "DIFFERS"
            print(
                f"{tag:9} {result.step}: {len(result.differences + result.withheld)} difference(s)"
            )
            if args.verbose:
                for line in result.differences + result.withheld:
                    print(f"          {line}")
    print(
        f"{exact}/{len(results)} exchanges match exactly; {len(withheld)} withhold a secret the "
        f"real server answers in clear; {len(failed)} differ"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
