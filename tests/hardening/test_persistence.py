"""kill -9 under write load: the state file always loads and keeps every acknowledged write.

A few trials here (end to end, ~10 s); `python bench/kill9.py --trials 30` runs many.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.crash import run_trials


@pytest.mark.e2e
def test_kill_9_under_write_load_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    trials = run_trials(tmp_path, 3, writers=4, max_kill_after=1.0, seed=5)
    report = "\n".join(
        f"trial {t.number}: killed after {t.kill_after_s:.2f} s, {t.writes_acked} writes acked, "
        f"state {t.state_bytes} B, problems {t.problems}"
        for t in trials
    )
    print(report)
    assert sum(t.writes_acked for t in trials) > 0, (
        "the load wrote nothing before the kills\n" + report
    )
    assert all(not t.problems for t in trials), report


@pytest.mark.slow
def test_kill_9_many_trials(tmp_path: Path) -> None:
    trials = run_trials(tmp_path, 15, writers=8, max_kill_after=2.0, seed=6)
    assert all(not t.problems for t in trials), [t for t in trials if t.problems]
