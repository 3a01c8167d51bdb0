"""credkit's benchmark: the mock against Stoplight Prism, and the mock's own costs.

    python bench/run.py            # the full run (~5 minutes)
    python bench/run.py --quick    # a smoke run (~1.5 minutes)
    python bench/run.py --baseline /path/to/other/venv/bin/credkit --skip compare ...
                                   # this build against another, side by side

Installs what it lacks (wrk from Debian, Prism from npm into bench/.prism), starts
`credkit serve` and `prism mock -v silent` on free loopback ports and loads them ALTERNATELY,
round by round, with the same keep-alive PUT (bench/put.lua: 32 connections, the documented
"Update Values" request). wrk shares the machine's cores with the servers, so only the medians
and ratios of one run mean anything, never a single absolute figure.

The comparison also loads the ceiling: a bare ASGI app on uvicorn (uvloop, httptools) that
reads the body and answers a fixed 200 JSON (bench/bare_asgi.py), and WireMock 3 standalone
with one static stub and no request journal (npm package `wiremock` into bench/.wiremock; needs
java 17+). credkit is quoted as a share of that ceiling and as a ratio to each mock.

Then, for credkit alone: time from process start to the first answered request (also with
`--seed 100000`), RSS with 100k stored credentials, update latency with 10 vs 100k stored
credentials (PUTs to random ids), the PUT workload with --state-file, and the shared store
(bench/shared.py: 1 worker in memory, 1 worker on Redis, 2 workers on Redis, side by side).
Results are printed as a table and written as JSON to bench/results/ (not committed).
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
import shared
import wrkload


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


REFERENCES = ("bare-asgi", "prism", "wiremock")


def compare(
    wrk: str, prism: Path | None, wiremock: Path | None, rounds: int, seconds: float, workdir: Path
) -> dict[str, Any]:
    """credkit (as shipped, and without the access log) vs the bare-ASGI ceiling, Prism
    -v silent and WireMock 3, in rounds; in each round every server gets the same load, in a
    rotating order. Medians per server, and the median of the per-round ratios (paired, so a
    busy moment of the machine cancels out): credkit's share of the ceiling, and credkit vs
    each other mock. Each server's CPU time per answered request (user + system, from /proc)
    is read around every round too."""
    servers = {
        "credkit": procs.start_credkit(),
        "credkit-quiet": procs.start_credkit("--log-level", "warning"),
        "bare-asgi": procs.start_bare(),
    }
    if prism is not None:
        servers["prism"] = procs.start_prism(prism)
    if wiremock is not None:
        servers["wiremock"] = procs.start_wiremock(wiremock, workdir / "wiremock")
    try:
        for server in servers.values():
            procs.wait_ready(server, timeout=180)
            wrkload.run(wrk, server.url, seconds=min(3.0, seconds))  # warm-up (JIT, caches)
        per: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
        names = list(servers)
        for index in range(rounds):
            order = names[index % len(names) :] + names[: index % len(names)]
            for name in order:
                before = procs.cpu_seconds(servers[name].pid)
                result = wrkload.run(wrk, servers[name].url, seconds=seconds)
                cpu_us = (procs.cpu_seconds(servers[name].pid) - before) / max(result.requests, 1)
                rss = servers[name].rss_kib()
                per[name].append({**result.__dict__, "rss_kib": rss, "cpu_us": cpu_us * 1e6})
                print(
                    f"  round {index + 1}/{rounds} {name:13} {result.rps:7.0f} req/s "
                    f"p50 {result.p50_ms:7.2f} ms p99 {result.p99_ms:7.2f} ms "
                    f"cpu {cpu_us * 1e6:6.1f} us/req "
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
            key: _median([r[key] for r in runs])
            for key in ("rps", "p50_ms", "p99_ms", "rss_kib", "cpu_us")
        }
        summary[name]["non_2xx"] = sum(r["non_2xx"] for r in runs)
        summary[name]["socket_errors"] = sum(r["socket_errors"] for r in runs)
        summary[name]["rounds"] = runs
    for name in ("credkit", "credkit-quiet"):
        for other in REFERENCES:
            if other not in per:
                continue
            pairs = list(zip(per[name], per[other], strict=True))
            summary[name][f"rps_vs_{other}"] = _median([c["rps"] / o["rps"] for c, o in pairs])
            summary[name][f"p99_vs_{other}"] = _median(
                [c["p99_ms"] / o["p99_ms"] for c, o in pairs]
            )
            summary[name][f"rps_vs_{other}_rounds"] = [
                round(c["rps"] / o["rps"], 2) for c, o in pairs
            ]
            # the other server's CPU per request over credkit's: a share that moves far less
            # with the machine's other load than req/s does
            summary[name][f"cpu_vs_{other}"] = _median(
                [o["cpu_us"] / c["cpu_us"] for c, o in pairs]
            )
    return summary


def baseline(wrk: str, other: str, rounds: int, seconds: float) -> dict[str, Any]:
    """This build against another build's `credkit` (e.g. main before a change), as shipped
    and with `--log-level warning`, loaded alternately round by round with the same PUT.
    Medians per server, and the median of the per-round ratios this/other (paired), of req/s
    and of the server's CPU time per answered request (user + system from /proc: on a shared
    machine it moves far less than req/s, which follows whatever else is running)."""
    servers = {
        "this": procs.start_credkit(),
        "baseline": procs.start_credkit(command=[other]),
        "this-quiet": procs.start_credkit("--log-level", "warning"),
        "baseline-quiet": procs.start_credkit("--log-level", "warning", command=[other]),
    }
    per: dict[str, list[wrkload.WrkResult]] = {name: [] for name in servers}
    cpu: dict[str, list[float]] = {name: [] for name in servers}  # microseconds per request
    try:
        for server in servers.values():
            procs.wait_ready(server)
            wrkload.run(wrk, server.url, seconds=min(3.0, seconds))  # warm-up
        names = list(servers)
        for index in range(rounds):
            for name in names[index % len(names) :] + names[: index % len(names)]:
                before = procs.cpu_seconds(servers[name].pid)
                result = wrkload.run(wrk, servers[name].url, seconds=seconds)
                used = procs.cpu_seconds(servers[name].pid) - before
                per[name].append(result)
                cpu[name].append(used / max(result.requests, 1) * 1e6)
                print(
                    f"  round {index + 1}/{rounds} {name:14} {result.rps:7.0f} req/s "
                    f"p50 {result.p50_ms:6.2f} ms p99 {result.p99_ms:6.2f} ms "
                    f"cpu {cpu[name][-1]:5.1f} us/req "
                    f"non-2xx {result.non_2xx} errors {result.socket_errors}",
                    file=sys.stderr,
                )
    finally:
        for server in servers.values():
            server.stop()
    out: dict[str, Any] = {"other": other}
    for name, runs in per.items():
        out[name] = {
            "rps": _median([r.rps for r in runs]),
            "p50_ms": _median([r.p50_ms for r in runs]),
            "p99_ms": _median([r.p99_ms for r in runs]),
            "errors": sum(r.non_2xx + r.socket_errors for r in runs),
            "rounds_rps": [round(r.rps) for r in runs],
            "cpu_us": _median(cpu[name]),
        }
    for this, base in (("this", "baseline"), ("this-quiet", "baseline-quiet")):
        pairs = list(zip(per[this], per[base], strict=True))
        out[this]["ratio_rps"] = _median([a.rps / b.rps for a, b in pairs])
        out[this]["ratio_p99"] = _median([a.p99_ms / b.p99_ms for a, b in pairs])
        out[this]["ratio_rps_rounds"] = [round(a.rps / b.rps, 3) for a, b in pairs]
        cpu_pairs = list(zip(cpu[this], cpu[base], strict=True))
        out[this]["ratio_cpu"] = _median([a / b for a, b in cpu_pairs])
        out[this]["ratio_cpu_rounds"] = [round(a / b, 3) for a, b in cpu_pairs]
    return out


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


def _rounds(
    wrk: str, servers: dict[str, procs.Server], rounds: int, seconds: float, **load: Any
) -> dict[str, dict[str, Any]]:
    """The same wrk load on each server, `rounds` times in a rotating order; medians."""
    per: dict[str, list[wrkload.WrkResult]] = {name: [] for name in servers}
    names = list(servers)
    for index in range(rounds):
        for name in names[index % len(names) :] + names[: index % len(names)]:
            per[name].append(wrkload.run(wrk, servers[name].url, seconds=seconds, **load))
    return {
        name: {
            "rps": _median([r.rps for r in runs]),
            "p50_ms": _median([r.p50_ms for r in runs]),
            "p99_ms": _median([r.p99_ms for r in runs]),
            "errors": sum(r.non_2xx + r.socket_errors for r in runs),
        }
        for name, runs in per.items()
    }


def store_size(
    wrk: str, sizes: list[int], rounds: int, seconds: float, workdir: Path
) -> dict[str, Any]:
    """RSS and update latency (1 and 32 connections, PUTs to random ids) per stored count; the
    servers run side by side and are loaded in alternation."""
    out: dict[str, Any] = {}
    servers: dict[str, procs.Server] = {}
    ids: dict[str, Path] = {}
    try:
        for size in sizes:
            fixture, ids[str(size)] = bigstore.write(workdir, size)
            server = servers[str(size)] = procs.start_credkit(
                "--fixtures", str(fixture), "--log-level", "warning"
            )
            ready = procs.wait_ready(server, timeout=300)
            out[str(size)] = {"startup_s": ready, "rss_idle_kib": server.rss_kib()}
            print(f"  {size:>7} stored: ready in {ready:.2f} s", file=sys.stderr)
        for name, server in servers.items():  # warm-up
            wrkload.run(
                wrk,
                server.url,
                seconds=2,
                script=wrkload.PUT_IDS_LUA,
                script_args=(str(ids[name]),),
            )
        for connections in (1, 32):
            per: dict[str, list[wrkload.WrkResult]] = {name: [] for name in servers}
            for index in range(rounds):
                names = list(servers) if index % 2 == 0 else list(reversed(servers))
                for name in names:
                    result = wrkload.run(
                        wrk, servers[name].url, seconds=seconds, connections=connections,
                        script=wrkload.PUT_IDS_LUA, script_args=(str(ids[name]),),
                    )  # fmt: skip
                    per[name].append(result)
            for name, runs in per.items():
                out[name][f"c{connections}"] = {
                    "rps": _median([r.rps for r in runs]),
                    "p50_ms": _median([r.p50_ms for r in runs]),
                    "p99_ms": _median([r.p99_ms for r in runs]),
                    "errors": sum(r.non_2xx + r.socket_errors for r in runs),
                }
        for name, server in servers.items():
            out[name]["rss_loaded_kib"] = server.rss_kib()
            print(f"  {name:>7} stored: {out[name]}", file=sys.stderr)
    finally:
        for server in servers.values():
            server.stop()
    return out


def seed_start(count: int, trials: int) -> dict[str, Any]:
    """Seconds from `credkit serve --seed COUNT` starting to its first answered ping (the
    generated credentials are made and encrypted before it listens), and its idle RSS."""
    times, cpu, rss = [], [], []
    for _ in range(trials):
        server = procs.start_credkit("--seed", str(count), "--log-level", "warning")
        try:
            times.append(procs.wait_ready(server, timeout=300))
            cpu.append(procs.cpu_seconds(server.pid))  # steadier than the wall time when shared
            rss.append(server.rss_kib())
        finally:
            server.stop()
        print(
            f"  --seed {count}: first answer after {times[-1]:.2f} s ({cpu[-1]:.2f} s of CPU)",
            file=sys.stderr,
        )
    return {
        "count": count,
        "median_s": _median(times),
        "cpu_s": _median(cpu),
        "trials": times,
        "rss_kib": _median(rss),
    }


def state_file(wrk: str, rounds: int, seconds: float, workdir: Path) -> dict[str, Any]:
    """The PUT workload in memory and with --state-file, side by side, alternating."""
    servers = {
        "memory": procs.start_credkit("--log-level", "warning"),
        "state-file": procs.start_credkit(
            "--log-level", "warning", "--state-file", str(workdir / "state.jsonl")
        ),
    }
    try:
        for server in servers.values():
            procs.wait_ready(server)
            wrkload.run(wrk, server.url, seconds=2)
        out = _rounds(wrk, servers, rounds, seconds)
        for name, server in servers.items():
            out[name]["rss_kib"] = server.rss_kib()
            print(f"  {name:10} {out[name]}", file=sys.stderr)
        state = workdir / "state.jsonl"
        out["state-file"]["file_bytes"] = state.stat().st_size if state.exists() else 0
    finally:
        for server in servers.values():
            server.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="short rounds, fewer trials (~1.5 minutes)"
    )
    parser.add_argument(
        "--rounds", type=int, help="alternating rounds per server (default 5, quick 2)"
    )
    parser.add_argument("--seconds", type=float, help="seconds per round (default 10, quick 3)")
    parser.add_argument(
        "--big", type=int, default=100_000, help="stored credentials for the big store"
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["compare", "startup", "store", "state", "prism", "wiremock", "shared"],
    )
    parser.add_argument(
        "--baseline",
        metavar="CREDKIT",
        help="another build's credkit executable to load side by side with this one",
    )
    parser.add_argument("--json", type=Path, help="write the results here (default bench/results/)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 5)
    seconds = args.seconds or (3.0 if args.quick else 10.0)

    wrk = procs.ensure_wrk()
    prism = (
        procs.ensure_prism()
        if "prism" not in args.skip and ("compare" not in args.skip or "startup" not in args.skip)
        else None
    )
    wiremock = (
        procs.ensure_wiremock()
        if "compare" not in args.skip and "wiremock" not in args.skip
        else None
    )
    results: dict[str, Any] = {"rounds": rounds, "seconds": seconds, "started": time.time()}
    with tempfile.TemporaryDirectory(prefix="credkit-bench-") as tmp:
        workdir = Path(tmp)
        if args.baseline:
            print(
                f"this build vs {args.baseline}: {rounds} rounds x {seconds:.0f} s each",
                file=sys.stderr,
            )
            results["baseline"] = baseline(wrk, args.baseline, rounds, seconds)
        if "compare" not in args.skip:
            print(
                f"credkit vs the bare-ASGI ceiling, prism -v silent and wiremock: {rounds} "
                f"rounds x {seconds:.0f} s each",
                file=sys.stderr,
            )
            results["compare"] = compare(wrk, prism, wiremock, rounds, seconds, workdir)
        if "startup" not in args.skip:
            print("startup (process start -> first answered ping)", file=sys.stderr)
            results["startup"] = startup(3, prism)
        if "store" not in args.skip:
            print(f"store size: 10 vs {args.big}", file=sys.stderr)
            results["store"] = store_size(
                wrk, [10, args.big], max(2, rounds - 2), seconds / 2, workdir
            )
        if "store" not in args.skip:
            print(f"start with --seed {args.big}", file=sys.stderr)
            results["seed_start"] = seed_start(args.big, 1 if args.quick else 3)
        if "state" not in args.skip:
            print("--state-file", file=sys.stderr)
            results["state"] = state_file(wrk, max(2, rounds - 2), seconds / 2, workdir)
        if "shared" not in args.skip:
            print("shared store: memory 1 worker, Redis 1 worker, Redis 2 workers", file=sys.stderr)
            results["shared"] = shared.shared(wrk, max(2, rounds - 2), seconds, workdir)
    import report

    print(report.table(results))
    if "shared" in results:
        print(shared.table(results["shared"]))
    target = args.json or procs.BENCH / "results" / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nresults: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
