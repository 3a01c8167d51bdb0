"""What lasts across the generated sequences of one run (`Session`): the run's context, the
types it works with, the judge, and which divergences are known, being shrunk or seen.

Sequences run in `--concurrency` lanes (threads) at once; each lane finds and shrinks its own
divergence (its `target`), and a divergence one lane is shrinking is left alone by the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contracts.context import CheckContext
from contracts.model.contract import TypeInputs
from contracts.model.divergence import Divergence, Step, Stopped, divergence_fingerprints
from contracts.model.equivalence import Judge
from contracts.model.inputs import MaskedUrl, Secret, SecretUrl
from contracts.safety import run_name

__all__ = ["Session"]


@dataclass
class Session:
    """What lasts across the generated sequences of one run."""

    ctx: CheckContext
    types: dict[str, TypeInputs]
    others: dict[str, list[str]]  # per type: its declared inputs that hold no secret
    judge: Judge
    counter: int = 0
    sequences: int = 0
    requests: int = 0
    out_of_time: Callable[[], bool] = lambda: False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # fingerprints not to stop on: reported already, or expected (a baseline): the sequence
    # resynchronises and explores on
    known: set[str] = field(default_factory=set)
    # per lane (thread): the divergence its hypothesis run is finding (and shrinking) now,
    # and how many sequences that lane had generated when it was first seen
    lane: threading.local = field(default_factory=threading.local)
    claimed: dict[str, int] = field(default_factory=dict)  # target -> the lane's thread id
    seen: dict[str, list[Step]] = field(default_factory=dict)  # the shortest steps per new one
    hung: dict[str, list[Step]] = field(default_factory=dict)  # requests without an answer
    stopped: bool = False  # the server stopped answering: nothing more is sent
    enough: bool = False  # --max-failures reached: no lane starts another sequence

    @property
    def target(self) -> str | None:
        return getattr(self.lane, "target", None)

    @property
    def generated(self) -> int:
        """Sequences this lane had generated before its target was first seen."""
        return getattr(self.lane, "generated", 0)

    @property
    def lane_sequences(self) -> int:
        return getattr(self.lane, "sequences", 0)

    def start_round(self) -> None:
        """A lane starts a hypothesis run: no target yet."""
        with self.lock:
            self._release()
        self.lane.target = None

    def end_round(self, reported: bool) -> None:
        """A lane's run is over: its target is known from now on when `reported`."""
        with self.lock:
            if reported and self.target is not None:
                self.known.add(self.target)
            self._release()

    def _release(self) -> None:
        mine = self.target
        if mine is not None and self.claimed.get(mine) == threading.get_ident():
            del self.claimed[mine]

    def halted(self) -> bool:
        """No sequence is to start: enough divergences were found, the time is up, or the
        server stopped answering."""
        return self.enough or self.stopped or self.out_of_time()

    def started(self) -> None:
        """A sequence starts (in this lane), unless the exploration is `halted`."""
        if self.halted():
            raise Stopped()
        with self.lock:
            self.sequences += 1
        self.lane.sequences = self.lane_sequences + 1

    def sent(self) -> None:
        with self.lock:
            self.requests += 1

    @property
    def shortest(self) -> Divergence | None:
        """The target's shortest steps (kept for a flaky failure: hypothesis cannot replay)."""
        steps = self.seen.get(self.target or "")
        return Divergence(steps) if steps else None

    def diverges(self, steps: list[Step]) -> bool:
        """Whether the divergence at the last of `steps` stops the sequence: only a new one
        (hypothesis then shrinks it), and while shrinking only the one being shrunk."""
        me = threading.get_ident()
        with self.lock:
            new = [
                fp
                for fp in divergence_fingerprints(steps[-1])
                if fp not in self.known and self.claimed.get(fp, me) == me
            ]
            if not new:
                return False  # known, or another lane's to shrink: explore on
            for fp in new:
                if fp not in self.seen or len(steps) < len(self.seen[fp]):
                    self.seen[fp] = steps
            if self.target is None:
                self.lane.target, self.lane.generated = new[0], self.lane_sequences
                self.claimed[new[0]] = me
        return self.target in new

    def diverged(self, steps: list[Step]) -> Divergence:
        return Divergence(steps)

    def no_answer(self, steps: list[Step]) -> None:
        """A request without an answer: recorded as found (replaying a hang to shrink it would
        wait out the timeout again and again); the run stops if a ping gets none either."""
        with self.lock:
            for fp in divergence_fingerprints(steps[-1]):
                if fp not in self.known:
                    self.hung.setdefault(fp, steps)
        if not self.ctx.api.answers():
            self.stopped = True
            raise Stopped()

    def name(self, suffix: str) -> str:
        with self.lock:
            self.counter += 1
            return run_name(self.ctx.run_id, f"m{self.counter}-") + suffix

    def materialize(self, value: Any) -> Any:
        """Placeholders made real: fresh secrets (registered for scanning and scrubbing)."""
        if isinstance(value, Secret):
            return self.ctx.new_secret()
        if isinstance(value, SecretUrl):
            url, _ = self.ctx.new_url()
            return url if value.user else url.replace("credkit-user:", ":", 1)
        if isinstance(value, MaskedUrl):
            return value.text()
        if isinstance(value, dict):
            return {k: self.materialize(v) for k, v in value.items()}
        return value
