"""The contract as an executable model, and the generated differential check built on it.

- `contract`: the rules as pure functions (redaction, merge, bodies, dates).
- `state`: `ContractModel`, what a client may observe for each request, in the order of checks.
- `equivalence`: `Judge`, whether an answer is one the model allows.
- `inputs`: hypothesis strategies spanning the input space.
- `machine`: the state machine that drives the server and the model side by side.
- `steps`: a divergence as numbered curl steps.
- `check`: the `model-conformance` named check.
"""

from contracts.model.contract import BULLETS, MARKER, TypeInputs
from contracts.model.equivalence import Judge
from contracts.model.state import Call, ContractModel, Expected, Stored

__all__ = [
    "BULLETS",
    "MARKER",
    "Call",
    "ContractModel",
    "Expected",
    "Judge",
    "Stored",
    "TypeInputs",
]
