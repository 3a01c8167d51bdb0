"""credkit's benchmark: the mock against Stoplight Prism, and the mock's own costs.

    python bench/run.py            # the full run (~4 minutes)
    python bench/run.py --quick    # a smoke run (~1 minute)

Installs what it lacks (wrk from Debian, Prism from npm into bench/.prism), starts
`credkit serve` and `prism mock -v silent` on free loopback ports and loads them ALTERNATELY,
round by round, with the same keep-alive PUT (bench/put.lua: 32 connections, the documented
"Update Values" request). wrk shares the machine's cores with the servers, so only the medians
and ratios of one run mean anything, never a single absolute figure.

Then, for credkit alone: time from process start to the first answered request, RSS with 100k
stored credentials, update latency with 10 vs 100k stored credentials (PUTs to random ids), and
the PUT workload with --state-file. Results are printed as a table and written as JSON to
bench/results/ (not committed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bigstore
import procs
import wrkload


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def compare(wrk: str, prism: Path, rounds: int, seconds: float) -> dict[str, Any]:
    """credkit vs Prism, alternating round by round; medians per server."""
    servers = {"credkit": procs.start_credkit(), "prism": procs.start_prism(prism)}
    try:
        for server in servers.values():
            procs.wait_ready(server)
            wrkload.run(wrk, server.url, seconds=min(3.0, seconds))  # warm-up (JIT, caches)
        per: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
        for index in range(rounds):
            order = list(servers) if index % 2 == 0 else list(reversed(servers))
            for name in order:
                result = wrkload.run(wrk, servers[name].url, seconds=seconds)
                rss = servers[name].rss_kib()
                per[name].append({**result.__dict__, "rss_kib": rss})
                print(
                    f"  round {index + 1}/{rounds} {name:8} {result.rps:9.0f} req/s "
                    f"p50 {result.p50_ms:7.2f} ms p99 {result.p99_ms:7.2f} ms "
                    f"rss {rss / 1024:6.1f} MiB non-2xx {result.non_2xx} "
                    f"errors {result.socket_errors}",
                    file=sys.stderr,
                )
    finally:
        for server in servers.values():
            server.stop()
    summary: dict[str, Any] = {}
    for name, runs in per.items():
        summary[name] = {
            key: _median([r[key] for r in runs]) for key in ("rps", "p50_ms", "p99_ms", "rss_kib")
        }
        summary[name]["non_2xx"] = sum(r["non_2xx"] for r in runs)
        summary[name]["socket_errors"] = sum(r["socket_errors"] for r in runs)
        summary[name]["rounds"] = runs
    summary["ratio_rps"] = summary["credkit"]["rps"] / summary["prism"]["rps"]
    summary["ratio_p99"] = summary["credkit"]["p99_ms"] / summary["prism"]["p99_ms"]
    return summary


def startup(trials: int, prism: Path | None) -> dict[str, Any]:
    """Seconds from process start to the first answered /api/v1/ping (median of trials)."""
    out: dict[str, Any] = {}
    kinds = {"credkit": procs.start_credkit}
    if prism is not None:
        kinds["prism"] = lambda: procs.start_prism(prism)  # type: ignore[assignment,misc]
    for name, starter in kinds.items():
        times = []
        for _ in range(trials):
            server = starter()
            try:
                times.append(procs.wait_ready(server))
            finally:
                server.stop()
        out[name] = {"median_s": _median(times), "max_s": max(times), "trials": times}
    return out


def store_size(wrk: str, sizes: list[int], seconds: float, workdir: Path) -> dict[str, Any]:
    """RSS and update latency (1 and 32 connections, random ids) per stored-credential count."""
    out: dict[str, Any] = {}
    for size in sizes:
        fixture, ids = bigstore.write(workdir, size)
        started = time.perf_counter()
        server = procs.start_credkit("--fixtures", str(fixture))
        try:
            ready = procs.wait_ready(server, timeout=300)
            load_s = time.perf_counter() - started
            rss_idle = server.rss_kib()
            args = (str(ids),)
            wrkload.run(wrk, server.url, seconds=2, script=wrkload.PUT_IDS_LUA, script_args=args)
            one = wrkload.run(
                wrk,
                server.url,
                seconds=seconds,
                connections=1,
                script=wrkload.PUT_IDS_LUA,
                script_args=args,
            )
            many = wrkload.run(
                wrk, server.url, seconds=seconds, script=wrkload.PUT_IDS_LUA, script_args=args
            )
            out[str(size)] = {
                "startup_s": ready,
                "load_s": load_s,
                "rss_idle_kib": rss_idle,
                "rss_loaded_kib": server.rss_kib(),
                "c1": one.__dict__,
                "c32": many.__dict__,
            }
            print(
                f"  {size:>7} stored: ready in {ready:.2f} s, rss {rss_idle / 1024:.1f} MiB, "
                f"c1 p50 {one.p50_ms:.2f} ms p99 {one.p99_ms:.2f} ms, c32 {many.rps:.0f} req/s",
                file=sys.stderr,
            )
        finally:
            server.stop()
    return out


def state_file(wrk: str, seconds: float, workdir: Path) -> dict[str, Any]:
    """The PUT workload with --state-file, and the same run in memory, back to back."""
    out: dict[str, Any] = {}
    for label, extra in (
        ("memory", ()),
        ("state-file", ("--state-file", str(workdir / "state.json"))),
    ):
        server = procs.start_credkit(*extra)
        try:
            procs.wait_ready(server)
            wrkload.run(wrk, server.url, seconds=2)
            result = wrkload.run(wrk, server.url, seconds=seconds)
            out[label] = {**result.__dict__, "rss_kib": server.rss_kib()}
            print(
                f"  {label:10} {result.rps:8.0f} req/s p99 {result.p99_ms:.2f} ms", file=sys.stderr
            )
        finally:
            server.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="short rounds, fewer trials (~1 minute)"
    )
    parser.add_argument(
        "--rounds", type=int, help="alternating rounds per server (default 5, quick 2)"
    )
    parser.add_argument("--seconds", type=float, help="seconds per round (default 10, quick 3)")
    parser.add_argument(
        "--big", type=int, default=100_000, help="stored credentials for the big store"
    )
    parser.add_argument(
        "--skip", action="append", default=[], choices=["compare", "startup", "store", "state"]
    )
    parser.add_argument("--json", type=Path, help="write the results here (default bench/results/)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 5)
    seconds = args.seconds or (3.0 if args.quick else 10.0)

    wrk = procs.ensure_wrk()
    prism = (
        procs.ensure_prism() if "compare" not in args.skip or "startup" not in args.skip else None
    )
    results: dict[str, Any] = {"rounds": rounds, "seconds": seconds, "started": time.time()}
    with tempfile.TemporaryDirectory(prefix="credkit-bench-") as tmp:
        workdir = Path(tmp)
        if "compare" not in args.skip:
            print(
                f"credkit vs prism -v silent: {rounds} rounds x {seconds:.0f} s each",
                file=sys.stderr,
            )
            results["compare"] = compare(wrk, prism, rounds, seconds)  # type: ignore[arg-type]
        if "startup" not in args.skip:
            print("startup (process start -> first answered ping)", file=sys.stderr)
            results["startup"] = startup(3 if args.quick else 5, prism)
        if "store" not in args.skip:
            print(f"store size: 10 vs {args.big}", file=sys.stderr)
            results["store"] = store_size(wrk, [10, args.big], seconds, workdir)
        if "state" not in args.skip:
            print("--state-file", file=sys.stderr)
            results["state"] = state_file(wrk, seconds, workdir)
    import report

    print(report.table(results))
    target = args.json or procs.BENCH / "results" / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nresults: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
