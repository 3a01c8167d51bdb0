"""Generated steps a few steps off the main rules: other spellings of ids, shared names, lists
read again right after a write: rules mixed into the model's state machine."""

from __future__ import annotations

__all__ = ["VariantRules"]


class VariantRules:
    """Rules of `contracts.model.machine`'s state machine (they use its `send`, `session`
    and `model`)."""
