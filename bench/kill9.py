"""kill -9 trials on `credkit serve --state-file` (many of them; the test suite runs three).

    python bench/kill9.py --trials 30

Each trial: start on the same state file (it must load), check every write acknowledged so far
is there, put write load on it (PUTs of unique keys, creates, deletes), SIGKILL it at a random
moment. A final restart checks the last kill. Exit status 1 if any acknowledged write was lost.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hardening.crash import run_trials


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--writers", type=int, default=8, help="concurrent writing clients")
    parser.add_argument(
        "--max-kill-after", type=float, default=2.0, help="seconds (uniform 0.05..this)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="credkit-kill9-") as tmp:
        trials = run_trials(
            Path(tmp),
            args.trials,
            writers=args.writers,
            max_kill_after=args.max_kill_after,
            seed=args.seed,
        )
    for t in trials:
        label = f"trial {t.number:3}" if t.number <= args.trials else "final check"
        print(
            f"{label}: killed after {t.kill_after_s:5.2f} s, {t.writes_acked:5} writes acked, "
            f"state file {t.state_bytes / 1024:8.1f} KiB, {'OK' if not t.problems else t.problems}"
        )
    failed = [t for t in trials if t.problems]
    total = sum(t.writes_acked for t in trials)
    elapsed = time.perf_counter() - started
    print(
        f"\n{args.trials} kill -9 trials, {total} acknowledged writes, "
        f"{len(trials) - len(failed)}/{len(trials)} restarts complete, {elapsed:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
