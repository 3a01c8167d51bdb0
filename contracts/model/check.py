"""`model-conformance`: the generated, stateful, differential check, as a named check.

Runs the state machine of `contracts.model.machine` for `--max-examples` x 6 sequences (`credkit
verify`), or for half of `--duration` in rounds of fresh sequences (`credkit fuzz`); a
divergence is shrunk by hypothesis to the shortest sequence that shows it and reported as
numbered curl steps.
"""

from __future__ import annotations

import time
from typing import Any

from contracts.checks import Finding, check
from contracts.context import CheckContext
from contracts.model.contract import TypeInputs
from contracts.model.equivalence import Judge
from contracts.model.machine import Divergence, Session, machine_for
from contracts.model.steps import finding

__all__ = ["MODEL_CHECK", "REQ_MODEL", "model_conformance", "pick_types", "run_model"]

MODEL_CHECK = "model-conformance"
REQ_MODEL = (
    "Generated sequences of requests (every role, body shape, marker and lifecycle step) get "
    "the answers the contract's executable model gives."
)
EXAMPLES_PER_MAX_EXAMPLE = 12
STEPS = 15
SHRINK_SECONDS = 30


def pick_types(ctx: CheckContext) -> tuple[dict[str, TypeInputs], dict[str, list[str]]]:
    """A few catalog types that span the redaction rules: the most password inputs, a url and
    a password, a url only, one password, none."""
    entries = []
    for entry in ctx.catalog.entries:
        ctype = ctx.catalog[entry["name"]]
        entries.append((ctype, [i["name"] for i in entry.get("inputs", [])]))
    wanted = [
        max(entries, key=lambda e: len(e[0].password_inputs)),
        next((e for e in entries if e[0].url_inputs and e[0].password_inputs), None),
        next((e for e in entries if e[0].url_inputs and not e[0].password_inputs), None),
        next((e for e in entries if len(e[0].password_inputs) == 1 and not e[0].url_inputs), None),
        next((e for e in entries if not e[0].password_inputs and not e[0].url_inputs), None),
    ]
    types: dict[str, TypeInputs] = {}
    others: dict[str, list[str]] = {}
    for item in wanted:
        if item is None:
            continue
        ctype, inputs = item
        types[ctype.name] = TypeInputs(ctype.name, ctype.password_inputs, ctype.url_inputs)
        secret = ctype.password_inputs | ctype.url_inputs
        others[ctype.name] = [name for name in inputs if name not in secret]
    return types, others


def _divergence(exc: BaseException) -> Divergence | None:
    if isinstance(exc, Divergence):
        return exc
    for inner in getattr(exc, "exceptions", ()):  # a flaky failure wraps what it saw
        found = _divergence(inner)
        if found is not None:
            return found
    return None


def run_model(
    ctx: CheckContext,
    *,
    examples: int,
    steps: int = STEPS,
    seed: int | None = None,
    shrink_seconds: float = SHRINK_SECONDS,
    session: Session | None = None,
) -> list[Finding]:
    """Run `examples` generated sequences; the divergence found (shrunk), if any."""
    from hypothesis import HealthCheck, Phase, Verbosity, settings
    from hypothesis import seed as with_seed
    from hypothesis.internal.conjecture import engine
    from hypothesis.stateful import get_state_machine_test

    from contracts.schema import _private_hypothesis_home

    if session is None:
        types, others = pick_types(ctx)
        session = Session(ctx, types, others, Judge(ctx.config.secret_key, ctx.secrets))
    options = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
    )
    test: Any = get_state_machine_test(machine_for(session), settings=options)
    if seed is not None:
        test = with_seed(seed)(test)
    previous = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = int(shrink_seconds)
    try:
        with _private_hypothesis_home():
            test()
    except Exception as exc:
        found = _divergence(exc)
        if found is None and type(exc).__name__.startswith("Flaky"):
            found = session.shortest  # a race: the same steps do not always diverge
        if found is None:
            raise
        return [finding(ctx, MODEL_CHECK, REQ_MODEL, found.steps)]
    finally:
        engine.MAX_SHRINKING_SECONDS = previous
    return []


@check(MODEL_CHECK, group="model", requirement=REQ_MODEL)
def model_conformance(ctx: CheckContext) -> None:
    config = ctx.config
    if ctx.mode != "fuzz":
        ctx.findings += run_model(
            ctx, examples=config.max_examples * EXAMPLES_PER_MAX_EXAMPLE, seed=config.seed
        )
        return
    deadline = time.monotonic() + (config.duration or 600) / 2
    round_ = 0
    while time.monotonic() < deadline and not ctx.findings:
        seed = None if config.seed is None else config.seed + round_
        ctx.findings += run_model(ctx, examples=50, steps=STEPS * 2, seed=seed)
        round_ += 1
