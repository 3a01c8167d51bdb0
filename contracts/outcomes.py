"""What a check reports (`Finding`) and how a check ends early (`Skip`, `Abort`,
`SetupRefused`). The bottom of the suite: `contracts.context` and `contracts.checks` both use it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Abort", "Finding", "SetupRefused", "Skip"]


@dataclass(slots=True)
class Finding:
    """One observed violation of a contract requirement, ready to act on."""

    check: str
    operation: str
    requirement: str
    observed: str
    curl: str | None = None
    status: int | None = None
    allowed_reason: str | None = None

    @property
    def allowed(self) -> bool:
        return self.allowed_reason is not None


class Skip(Exception):
    """The check cannot run here (a missing option, or nothing to test against)."""


class Abort(Exception):
    """The check cannot go on; the reason is already recorded as a finding."""


class SetupRefused(Exception):
    """A setup request was refused with 401/403: the keys are wrong, the run cannot proceed."""
