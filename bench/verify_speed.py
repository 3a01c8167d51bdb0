"""How fast `credkit verify` and `credkit fuzz` run, and how fast they find defects, against a
near target (0 ms) and a remote one (every answer 50 ms late), one lane vs `--concurrency`.

    .venv/bin/python bench/verify_speed.py            # ~25 min
    .venv/bin/python bench/verify_speed.py --quick    # ~8 min: 6 defects, no fuzz

Three parts, each server in its own process (`credkit serve --latency MS`, or
bench/serve_app.py for the test suite's broken implementations), so the suite's client and the
server do not share an interpreter:

1. **verify**: the default run (every check, `--max-examples 10`, the three keys) against the
   correct mock: wall seconds, requests, requests/s, and the ratio one lane / N lanes.
2. **defects per minute**: the generated exploration alone (`--include-check
   model-conformance --max-failures 1`) against each broken implementation of
   `tests/contracts/broken/model.py` and `variants.py`; caught or not and the time to the
   verdict; defects caught per minute of verifying.
3. **fuzz**: `credkit fuzz --duration 20s` against the correct mock: requests/s.

Traffic goes to 127.0.0.1 only; every run is bounded (verify by its budget, fuzz by
--duration); servers are stopped at the end. Compare ratios from one run, not absolute
figures across machines (other load on the machine moves them).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import procs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test suite's implementations (tests/contracts/...)
KEYS = {
    "--api-key": "dev-admin-key",
    "--readonly-api-key": "dev-readonly-key",
    "--foreign-api-key": "dev-other-workspace-key",
}
QUICK_DEFECTS = (
    "put-revives-deleted",
    "empty-data-wipes",
    "filter-crosses-workspaces",
    "ids-trimmed",
    "list-stale-after-put",
    "blank-deletes-key",
)


def defects() -> dict[str, str]:
    """name -> MODULE:FACTORY of every model and variant defect."""
    from tests.contracts.broken.model import MODEL_DEFECTS
    from tests.contracts.broken.variants import VARIANT_DEFECTS

    found = {}
    for table in (MODEL_DEFECTS, VARIANT_DEFECTS):
        for name, factory in table.items():
            found[name] = f"{factory.__module__}:{factory.__name__}"
    return found


@contextmanager
def serving(factory: str | None, latency: float, *extra: str) -> Iterator[str]:
    """The correct mock (`factory` None) or a test implementation, answering `latency` ms late
    (`extra`: more bench/serve_app.py options)."""
    if factory is None:
        server = procs.start_credkit("--latency", str(latency), "--log-level", "warning")
    else:
        argv = [sys.executable, str(ROOT / "bench" / "serve_app.py"), factory, *extra]
        server = procs.start("app", [*argv, "--latency", str(latency)])
    try:
        procs.wait_ready(server)
        yield server.url
    finally:
        server.stop()


def credkit(command: str, url: str, *args: str, seed: int = 7) -> tuple[float, dict[str, Any]]:
    """Run `credkit COMMAND` against `url`; its wall seconds and JSON report."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        keys = [item for pair in KEYS.items() for item in pair]
        argv = [*procs.credkit_command(), command, "--base-url", url, *keys, "--seed", str(seed)]
        started = time.perf_counter()
        subprocess.run(
            [*argv, "--report", str(report), *args],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        seconds = time.perf_counter() - started
        return seconds, json.loads(report.read_text())


def _throughput(
    latency: float, lanes: int, seconds: float, report: dict[str, Any]
) -> dict[str, Any]:
    return {
        "latency_ms": latency,
        "concurrency": lanes,
        "seconds": round(seconds, 1),
        "requests": report["requests"],
        "req_per_s": round(report["requests"] / seconds, 1),
        "exit": report["exitCode"],
    }


def part_verify(latencies: list[float], lanes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for latency in latencies:
        with serving(None, latency) as url:
            for n in lanes:
                seconds, report = credkit("verify", url, "--concurrency", str(n))
                rows.append(_throughput(latency, n, seconds, report))
                print("verify", rows[-1], flush=True)
    return rows


def part_defects(
    latencies: list[float], lanes: list[int], names: list[str]
) -> list[dict[str, Any]]:
    table = defects()
    rows = []
    for latency in latencies:
        for n in lanes:
            caught, spent = 0, 0.0
            for name in names:
                with serving(table[name], latency) as url:
                    seconds, report = credkit(
                        "verify", url, "--include-check", "model-conformance",
                        "--max-failures", "1", "--concurrency", str(n),
                    )  # fmt: skip
                spent += seconds
                caught += report["exitCode"] == 1
            rows.append(
                {
                    "latency_ms": latency,
                    "concurrency": n,
                    "defects": len(names),
                    "caught": caught,
                    "minutes": round(spent / 60, 2),
                    "per_minute": round(caught / (spent / 60), 2),
                }
            )
            print("defects", rows[-1], flush=True)
    return rows


def part_fuzz(latencies: list[float], lanes: list[int]) -> list[dict[str, Any]]:
    rows = []
    for latency in latencies:
        with serving(None, latency) as url:
            for n in lanes:
                seconds, report = credkit("fuzz", url, "--duration", "20s", "--concurrency", str(n))
                rows.append(_throughput(latency, n, seconds, report))
                print("fuzz", rows[-1], flush=True)
    return rows


def ratios(rows: list[dict[str, Any]], key: str, lanes: list[int]) -> list[str]:
    """`key` at N lanes over one lane, per latency."""
    out = []
    for latency in sorted({r["latency_ms"] for r in rows}):
        by = {r["concurrency"]: r for r in rows if r["latency_ms"] == latency}
        for n in lanes[1:]:
            if by.get(1) and by.get(n) and by[1][key]:
                out.append(f"  {latency:g} ms: {key} x{by[n][key] / by[1][key]:.2f} at {n} lanes")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 defects, no fuzz")
    parser.add_argument("--lanes", default="1,4", help="concurrencies to compare (first: 1)")
    parser.add_argument("--skip", action="append", default=[], help="verify | defects | fuzz")
    args = parser.parse_args()
    lanes = [int(n) for n in args.lanes.split(",")]
    latencies = [0.0, 50.0]
    names = list(QUICK_DEFECTS) if args.quick else sorted(defects())
    results: dict[str, Any] = {}
    if "verify" not in args.skip:
        results["verify"] = part_verify(latencies, lanes)
    if "defects" not in args.skip:
        results["defects"] = part_defects(latencies, lanes, names)
    if "fuzz" not in args.skip and not args.quick:
        results["fuzz"] = part_fuzz(latencies, lanes)
    print("\nratios (N lanes / 1 lane):")
    for part, key in (("verify", "req_per_s"), ("defects", "per_minute"), ("fuzz", "req_per_s")):
        if part in results:
            print(part)
            print("\n".join(ratios(results[part], key, lanes)))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"verify-speed-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
