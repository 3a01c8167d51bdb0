"""A step of a generated sequence, how a divergent one is told apart from another (its
fingerprints: the contract rule, the expected and observed status, the problem's shape), and
the exceptions that end a sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.client import Exchange
from contracts.model.state import Expected
from contracts.outcomes import fingerprint, operation_shape, problem_shape

__all__ = [
    "MODEL_CHECK",
    "Divergence",
    "Step",
    "Stopped",
    "divergence_detail",
    "divergence_details",
    "divergence_fingerprints",
]

MODEL_CHECK = "model-conformance"


@dataclass
class Step:
    """One request of a generated sequence, the model's expectation and what was wrong."""

    rule: str
    exchange: Exchange
    expected: Expected | None  # None: not judged (a 429 that outlasted the retries, cleanup)
    problems: list[str] = field(default_factory=list)
    auth: str = "full"  # the Authorization variant sent (a name of `AUTHS`)


class Divergence(Exception):
    """The server's answer differs from the model's at the last of `steps`."""

    def __init__(self, steps: list[Step]) -> None:
        super().__init__("; ".join(steps[-1].problems))
        self.steps = steps


class Stopped(Exception):
    """The server stopped answering: the sequence (and the run's exploration) ends."""


# Authorization variants that stand or fall together: one fingerprint for the family.
_AUTH_FAMILY = {
    "full-lowercase-scheme": "a case variant of Bearer",
    "full-uppercase-scheme": "a case variant of Bearer",
    "full-mixedcase-scheme": "a case variant of Bearer",
}


def divergence_details(step: Step) -> list[str]:
    """What a divergent step is, stable across runs: the contract rule the model applied, the
    status it expected and the one observed — or, when the status is right, one detail per
    problem (its shape: no ids, times or wording of the server's), so a new problem is seen
    beside a known one in the same answer."""
    expected = step.expected
    if expected is None or step.exchange.status not in expected.statuses or not step.problems:
        return [divergence_detail(step)]
    rule = expected.rule or step.rule
    shapes = sorted({problem_shape(p) for p in step.problems})
    return [f"{rule}: {step.exchange.status}: {shape}" for shape in shapes]


def divergence_detail(step: Step) -> str:
    """The detail of a step whose status differs from the model's (else of its first
    problem)."""
    expected = step.expected
    rule = (expected.rule if expected is not None else "") or step.rule
    status = step.exchange.status
    before_auth = rule in ("body-too-large", "no-route", "method-not-allowed")
    if expected is not None and status not in expected.statuses and status and not before_auth:
        # one cause, one fingerprint, whatever rule the sequence was at: a key (or header
        # variant) let through, or a valid one refused
        auth = _AUTH_FAMILY.get(step.auth, step.auth)
        if rule in ("auth-required", "permission"):
            if 200 <= status < 300:  # let in: which key (or header variant) matters
                return f"{rule}: {auth} not refused (accepted)"
            # refused for another reason first (a body checked before the key): one cause,
            # whatever the key
            return f"{rule}: not refused first (answered {status})"
        if status in (401, 403):
            return f"{auth} refused with {status}"
    if expected is None or status not in expected.statuses:
        statuses = sorted(expected.statuses) if expected is not None else []
        if expected is not None and expected.or_forbidden and len(statuses) > 1:
            statuses.remove(403)  # the same defect as with our own key
        if len(statuses) > 4:
            wanted = f"{statuses[0]}-{statuses[-1]}"
        else:
            wanted = "/".join(str(s) for s in statuses) or "an answer"
        got = "no answer" if status == 0 else str(status)
        return f"{rule}: expected {wanted}, got {got}"
    return f"{rule}: {status}: {problem_shape(step.problems[0]) if step.problems else ''}"


def divergence_fingerprints(step: Step) -> dict[str, str]:
    """Each fingerprint of a divergent step, with its detail."""
    operation = operation_shape(step.exchange.operation)
    return {
        fingerprint(f"{MODEL_CHECK} | {operation} | {detail}"): detail
        for detail in divergence_details(step)
    }
