"""Records the committed baseline of the mock's `flowise-3.1` profile (what a team pinning
Flowise 3.1.4 would commit): the union of the findings of several runs, each exploring its
whole budget with another seed, so the departures a single run meets only now and then are in
it too.

    python -m tests.contracts.flowise_baseline         # rewrites flowise-profile.baseline.yaml
    python -m tests.contracts.flowise_baseline --more  # adds the findings of 8 more seeds
"""

from __future__ import annotations

import sys
from pathlib import Path

from contracts.baseline import load_baseline, write_baseline
from contracts.config import VerifyConfig
from contracts.outcomes import Finding
from contracts.runner import run
from mockserver.pytest_plugin import serving
from tests.contracts.broken.regressions import PASSPHRASE, flowise
from tests.contracts.conftest import KEYS

__all__ = ["BASELINE", "CHECKS", "MAX_EXAMPLES", "RECORD_EXAMPLES", "record"]

BASELINE = Path(__file__).with_name("flowise-profile.baseline.yaml")
CHECKS = ("model-conformance",)
MAX_EXAMPLES = 3  # of the runs judged against it
RECORD_EXAMPLES = 6  # of the runs it is recorded from: twice as deep
SEEDS = tuple(range(1, 9))


def record(seeds: tuple[int, ...] = SEEDS, path: Path = BASELINE, *, merge: bool = False) -> int:
    """Record the runs of `seeds` into `path` (with `merge`, beside what it holds already)."""
    found: list[Finding] = []
    if merge and path.exists():  # the entries already there, as findings of their signatures
        for entry in load_baseline(path).entries:
            check, operation, detail = entry.finding.split(" | ", 2)
            found.append(Finding(check, operation, "", "", detail=detail))
    for seed in seeds:
        with serving(flowise()) as url:
            config = VerifyConfig(base_url=url, **KEYS, seed=seed, max_examples=RECORD_EXAMPLES,
                                  secret_key=PASSPHRASE, include_checks=CHECKS)  # fmt: skip
            result = run(config)
        if result.abort_reason:
            raise SystemExit(f"seed {seed}: {result.abort_reason}")
        found += [f for o in result.outcomes for f in o.findings]
        print(f"seed {seed}: {len({f.fingerprint for f in found})} distinct so far", flush=True)
    return write_baseline(found, path, "the mock's flowise-3.1 profile (tests)")


if __name__ == "__main__":
    more = sys.argv[1:] == ["--more"]  # 8 further seeds, merged into the file
    written = record(tuple(range(9, 17)), merge=True) if more else record()
    print(f"{written} findings written to {BASELINE}")
    sys.exit(0)
