"""The benchmark's results as a plain-text table (what bench/run.py prints)."""

from __future__ import annotations

from typing import Any


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def _rows(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return out


def table(results: dict[str, Any]) -> str:
    lines: list[str] = []
    if "baseline" in results:
        base = results["baseline"]
        lines += [
            "",
            f"This build vs {base['other']} (PUT, wrk 32 connections, {results['rounds']} "
            f"alternating rounds x {results['seconds']:.0f} s; ratio: median of per-round ratios)",
        ]
        rows = []
        for name in ("this", "baseline", "this-quiet", "baseline-quiet"):
            s = base[name]
            ratio = f"{s['ratio_rps']:.3f}x" if "ratio_rps" in s else ""
            ratio_cpu = f"{s['ratio_cpu']:.3f}x" if "ratio_cpu" in s else ""
            rows.append(
                [name, f"{s['rps']:.0f}", f"{s['p50_ms']:.2f} ms", f"{s['p99_ms']:.2f} ms",
                 f"{s['cpu_us']:.1f} us", ratio, ratio_cpu, str(s["errors"])]
            )  # fmt: skip
        lines += _rows(
            ["server", "req/s", "p50", "p99", "CPU/request", "req/s vs baseline",
             "CPU/request vs baseline", "errors"],
            rows,
        )  # fmt: skip
    if "compare" in results:
        cmp = results["compare"]
        lines += [
            "",
            "PUT /api/v1/credentials/cred-789, wrk 32 keep-alive connections, "
            f"{results['rounds']} rounds x {results['seconds']:.0f} s per server (medians; "
            "ratios: median of per-round ratios, same run)",
        ]
        labels = {
            "credkit": "credkit serve",
            "credkit-quiet": "credkit serve --log-level warning",
            "bare-asgi": "bare ASGI app (uvicorn, uvloop, httptools): the ceiling",
            "prism": "prism mock -v silent",
            "wiremock": "wiremock 3 standalone, 1 stub, --no-request-journal",
        }
        rows = []
        for name, label in labels.items():
            if name not in cmp:
                continue
            s = cmp[name]
            rows.append(
                [label, f"{s['rps']:.0f}", f"{s['p50_ms']:.2f} ms", f"{s['p99_ms']:.2f} ms",
                 f"{s['cpu_us']:.1f} us", _mib(s["rss_kib"]),
                 str(s["non_2xx"] + s["socket_errors"])]
            )  # fmt: skip
        lines += _rows(["server", "req/s", "p50", "p99", "CPU/req", "RSS", "errors"], rows)
        ratio_rows = []
        for name in ("credkit", "credkit-quiet"):
            s = cmp[name]
            for other, what in (
                ("bare-asgi", "share of the ceiling"),
                ("prism", "vs prism"),
                ("wiremock", "vs wiremock"),
            ):
                if f"rps_vs_{other}" in s:
                    ratio_rows.append(
                        [labels[name], what, f"{s[f'rps_vs_{other}']:.2f}x",
                         f"{s[f'p99_vs_{other}']:.2f}x", f"{s[f'cpu_vs_{other}']:.2f}x",
                         " ".join(str(r) for r in s[f"rps_vs_{other}_rounds"])]
                    )  # fmt: skip
        lines += [""]
        lines += _rows(
            ["credkit", "against", "req/s ratio", "p99 ratio", "CPU/req ratio (other/credkit)",
             "req/s ratio per round"],
            ratio_rows,
        )  # fmt: skip
    if "startup" in results:
        lines += ["", "Process start -> first answered GET /api/v1/ping"]
        rows = [
            [name, f"{s['median_s']:.3f} s", f"{s['max_s']:.3f} s", str(len(s["trials"]))]
            for name, s in results["startup"].items()
        ]
        lines += _rows(["server", "median", "max", "trials"], rows)
    if "store" in results:
        lines += [
            "",
            "credkit --log-level warning with N stored credentials (PUTs to random ids; "
            "servers side by side, alternating)",
        ]
        rows = []
        for size, s in results["store"].items():
            rows.append(
                [size, f"{s['startup_s']:.2f} s", _mib(s["rss_idle_kib"]),
                 _mib(s["rss_loaded_kib"]), f"{s['c1']['p50_ms']:.2f} ms",
                 f"{s['c1']['p99_ms']:.2f} ms", f"{s['c32']['rps']:.0f}",
                 f"{s['c32']['p50_ms']:.2f} ms", f"{s['c32']['p99_ms']:.2f} ms",
                 str(s["c1"]["errors"] + s["c32"]["errors"])]
            )  # fmt: skip
        lines += _rows(
            ["stored", "ready", "RSS idle", "RSS loaded", "c1 p50", "c1 p99", "c32 req/s",
             "c32 p50", "c32 p99", "errors"],
            rows,
        )  # fmt: skip
    if "seed_start" in results:
        seed = results["seed_start"]
        lines += [
            "",
            f"credkit serve --seed {seed['count']}: process start -> first answered ping "
            f"{seed['median_s']:.2f} s (median of {len(seed['trials'])}; "
            f"{seed.get('cpu_s', float('nan')):.2f} s of its CPU), RSS "
            f"{_mib(seed['rss_kib'])}",
        ]
    if "state" in results:
        lines += [
            "",
            "credkit --log-level warning, PUT workload (32 connections): in memory vs --state-file",
        ]
        rows = [
            [label, f"{s['rps']:.0f}", f"{s['p50_ms']:.2f} ms", f"{s['p99_ms']:.2f} ms",
             _mib(s["rss_kib"]), str(s["errors"])]
            for label, s in results["state"].items()
        ]  # fmt: skip
        lines += _rows(["mode", "req/s", "p50", "p99", "RSS", "errors"], rows)
        if "file_bytes" in results["state"].get("state-file", {}):
            lines.append(
                f"state file after the run: {results['state']['state-file']['file_bytes']:,} B"
            )
    return "\n".join(lines)
