"""Generated steps for the API-security classes a real deployment gets probed for (OWASP API
Security Top 10, at the contract's level): rules mixed into the model's state machine."""

from __future__ import annotations

__all__ = ["SecurityRules"]


class SecurityRules:
    """Rules of `contracts.model.machine`'s state machine (they use its `send`, `session`
    and `model`)."""
