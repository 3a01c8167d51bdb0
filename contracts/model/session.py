"""What lasts across the generated sequences of one run (`Session`): the run's context, the
types it works with, the judge, and which divergences are known, being shrunk or seen.
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
    target: str | None = None  # the divergence hypothesis is finding (and shrinking) now
    generated: int = 0  # sequences generated before the target was first seen
    seen: dict[str, list[Step]] = field(default_factory=dict)  # the shortest steps per new one
    hung: dict[str, list[Step]] = field(default_factory=dict)  # requests without an answer
    stopped: bool = False  # the server stopped answering: nothing more is sent

    @property
    def shortest(self) -> Divergence | None:
        """The target's shortest steps (kept for a flaky failure: hypothesis cannot replay)."""
        steps = self.seen.get(self.target or "")
        return Divergence(steps) if steps else None

    def diverges(self, steps: list[Step]) -> bool:
        """Whether the divergence at the last of `steps` stops the sequence: only a new one
        (hypothesis then shrinks it), and while shrinking only the one being shrunk."""
        new = [fp for fp in divergence_fingerprints(steps[-1]) if fp not in self.known]
        if not new:
            return False
        with self.lock:
            for fp in new:
                if fp not in self.seen or len(steps) < len(self.seen[fp]):
                    self.seen[fp] = steps
            if self.target is None:
                self.target, self.generated = new[0], self.sequences
        return self.target in new

    def diverged(self, steps: list[Step]) -> Divergence:
        return Divergence(steps)

    def no_answer(self, steps: list[Step]) -> None:
        """A request without an answer: recorded as found (replaying a hang to shrink it would
        wait out the timeout again and again); the run stops if a ping gets none either."""
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
