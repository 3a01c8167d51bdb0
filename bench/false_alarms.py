"""Consecutive `credkit verify` runs against correct implementations: every one must exit 0.

    .venv/bin/python bench/false_alarms.py --runs 20     # ~30 min
    .venv/bin/python bench/false_alarms.py --runs 3      # ~5 min

Four targets, each in its own process: the mock (`credkit serve`), the second, independent
implementation of the contract (`tests/contracts/second/app.py`: numeric ids, `+00:00` dates
with microseconds, gzip, chunked answers, a 429 rate limiter; verified with its passphrase),
the same answering every request 50 ms late, and the same stalling once for 3 s (its 100th
request, well within --timeout). Each run is the default verify (every check, the three keys,
a fresh seed). A run that exits anything but 0 is a false alarm: its findings' signatures are
printed. A verification tool is only as good as its silence on a correct server.
"""

from __future__ import annotations

import argparse
import random
import sys

from verify_speed import credkit, serving  # (puts the repository on sys.path)

SECOND = "tests.contracts.second.app:create_app"
TARGETS = {
    "mock": (None, 0.0, ()),
    "second": (SECOND, 0.0, ()),
    "second, 50 ms": (SECOND, 50.0, ()),
    "second, stalls once 3 s": (SECOND, 0.0, ("--stall-once", "3000")),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", action="append", default=[], help="a target's name")
    args = parser.parse_args()
    from tests.contracts.second.app import PASSPHRASE

    alarms = 0
    for name, (factory, latency, extra) in TARGETS.items():
        if args.only and name not in args.only:
            continue
        secret = () if factory is None else ("--secret-key", PASSPHRASE)
        exits = []
        with serving(factory, latency, *extra) as url:
            for _ in range(args.runs):
                seed = random.randrange(1, 10**6)
                _, report = credkit("verify", url, *secret, seed=seed)
                exits.append(report["exitCode"])
                if report["exitCode"] != 0:
                    alarms += 1
                    failed = [
                        f.get("signature")
                        for c in report["checks"]
                        for f in c["findings"]
                        if not f.get("allowed")
                    ]
                    print(f"  {name}: seed {seed} exit {report['exitCode']}: {failed}")
        print(f"{name}: {exits.count(0)} of {len(exits)} runs exit 0", flush=True)
    print(f"false alarms: {alarms}")
    return 1 if alarms else 0


if __name__ == "__main__":
    sys.exit(main())
