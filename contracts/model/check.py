"""`model-conformance`: the generated, stateful, differential check, as a named check.

Runs the state machine of `contracts.model.machine` for `--max-examples` x 12 sequences
(`credkit verify`), or for `--duration` (half of it when schemathesis runs after it) in rounds
of fresh sequences (`credkit fuzz`);
every distinct divergence is shrunk by hypothesis to the shortest sequence that shows it and
reported once, as numbered curl steps, with a fingerprint; the exploration goes on past it.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from contracts.checks import Finding, check
from contracts.context import CheckContext
from contracts.model.contract import TypeInputs
from contracts.model.equivalence import Judge
from contracts.model.machine import MODEL_CHECK, Divergence, Session, Stopped, machine_for
from contracts.model.steps import finding
from contracts.outcomes import ServerGone
from contracts.threads import serial_ast

__all__ = ["MODEL_CHECK", "REQ_MODEL", "model_conformance", "pick_types", "run_model"]

REQ_MODEL = (
    "Generated sequences of requests (every role, body shape, marker and lifecycle step) get "
    "the answers the contract's executable model gives."
)
EXAMPLES_PER_MAX_EXAMPLE = 12
STEPS = 15
SHRINK_SECONDS = 30
SHRINK_BUDGET = 4  # shrinking in all: at most this many times SHRINK_SECONDS
MAX_DISTINCT = 400  # distinct divergences reported by one run at most
# a round's outcome when hypothesis found the sequence's draws inconsistent between replays
# (they follow the server's answers, which changed) and no divergence was being shrunk
AGAIN = object()
VERIFY_SHARE = 0.6  # of a `verify --duration`, what the exploration may take (from the start)


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


def _divergence(exc: BaseException) -> Divergence | Stopped | None:
    if isinstance(exc, (Divergence, Stopped)):
        return exc
    for inner in getattr(exc, "exceptions", ()):  # a flaky failure wraps what it saw
        found = _divergence(inner)
        if found is not None:
            return found
    return None


def _options(examples: int, steps: int, shrink: bool) -> Any:
    from hypothesis import HealthCheck, Phase, Verbosity, settings

    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
    )


def _round(session: Session, examples: int, steps: int, seed: int | None, shrink: bool) -> Any:
    """One hypothesis run (in this lane) of at most `examples` sequences: the divergence it
    found and shrank (or a Stopped), None when every sequence agreed with the model (known
    divergences and other lanes' targets aside)."""
    from hypothesis import seed as with_seed
    from hypothesis.stateful import get_state_machine_test

    options = _options(examples, steps, shrink)
    test: Any = get_state_machine_test(machine_for(session), settings=options)
    if seed is not None:
        test = with_seed(seed)(test)
    try:
        test()
    except Exception as exc:
        found = _divergence(exc)
        stopping = session.halted()
        if found is None and type(exc).__name__.startswith("Flaky"):
            found = session.shortest  # a race: the same steps do not always diverge
            if found is None and not stopping:  # a replay was answered otherwise (a 500
                return AGAIN  # under load), so the model drew otherwise: a fresh round
        if found is None and stopping:
            return Stopped()  # stopped mid-shrink: replays no longer draw what they drew
        if found is None:
            raise
        return found
    return None


@dataclass
class _Exploration:
    """The run's shared budget and results, drawn on by every lane."""

    ctx: CheckContext
    session: Session
    most: int
    shrink_seconds: float
    shrink_left: float
    findings: list[Finding] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def shrinks(self) -> bool:
        """Whether the next round may shrink what it finds (the shrink budget is shared)."""
        return self.shrink_left > 0

    def report(self, found: Divergence, fp: str) -> None:
        with self.lock:
            self.shrink_left = max(0.0, self.shrink_left - self.shrink_seconds)
            if len(self.findings) < self.most:
                self.findings.append(finding(self.ctx, MODEL_CHECK, REQ_MODEL, found.steps, fp))
            self.session.enough = len(self.findings) >= self.most

    def lane(self, examples: int, steps: int, seed: int | None) -> None:
        """One lane: rounds of fresh sequences until its share of the budget is spent; each
        round that finds a new divergence reports it and the next goes on with what is left."""
        session = self.session
        left, round_ = examples, 0
        while left > 0 and not session.halted():
            started = session.lane_sequences
            session.start_round()
            found: Any = None
            try:
                found = _round(session, left, steps, _seed(seed, round_), self.shrinks())
            finally:
                fp = session.target
                reported = isinstance(found, Divergence) and fp is not None
                session.end_round(reported)
            round_ += 1
            if found is AGAIN:
                left -= max(1, session.lane_sequences - started)
                continue
            if not reported:
                return
            assert fp is not None
            self.report(found, fp)
            # the budget is of sequences run to their end: the one that found this divergence
            # stopped at it, and is not counted
            left -= max(0, session.generated - started - 1)


def _warm_up() -> None:
    """Draw once in this thread before the lanes start. The first draw in a process scans the
    source of every local module for constants (and builds the character map): left to the
    lanes, each of them would scan everything at once, one parse at a time (`serial_ast`),
    and a short `fuzz` spent its whole model phase on it."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=1, database=None, deadline=None)
    @given(st.text())
    def draw(text: str) -> None:
        pass

    draw()


def _seed(seed: int | None, round_: int) -> int | None:
    return None if seed is None else seed + round_


def run_model(
    ctx: CheckContext,
    *,
    examples: int,
    steps: int = STEPS,
    seed: int | None = None,
    shrink_seconds: float | None = None,
    session: Session | None = None,
) -> list[Finding]:
    """Run `examples` generated sequences; every distinct divergence, each once, shrunk.

    The sequences run in `--concurrency` lanes at once (the budget shared out between them;
    lane i draws from seed + i x 7919). A divergence found is shrunk and reported, then the
    lane goes on in a fresh round with the budget left, the divergences reported (and
    `ctx.expected`) resynchronising the model instead of stopping a sequence. A divergence
    seen while shrinking another is found again in a later round (and shrunk then), or
    reported as first seen. Shrinking gets `shrink_seconds` per divergence (default
    `SHRINK_SECONDS`), at most `SHRINK_BUDGET` x that in all; divergences found after that are
    reported as first seen, unshrunk."""
    from hypothesis.internal.conjecture import engine

    from contracts.schema import _private_hypothesis_home

    if shrink_seconds is None:
        shrink_seconds = SHRINK_SECONDS
    if session is None:
        types, others = pick_types(ctx)
        session = Session(ctx, types, others, Judge(ctx.config.secret_key, ctx.secrets))
    session.known |= set(ctx.expected)
    run = _Exploration(
        ctx,
        session,
        most=min(MAX_DISTINCT, ctx.config.max_failures or MAX_DISTINCT),
        shrink_seconds=shrink_seconds,
        shrink_left=shrink_seconds * SHRINK_BUDGET,
    )
    lanes = max(1, min(ctx.config.concurrency, examples))
    shares = [examples // lanes + (i < examples % lanes) for i in range(lanes)]
    previous = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = max(1, round(shrink_seconds))
    try:
        with _private_hypothesis_home():
            if lanes == 1:
                run.lane(examples, steps, seed)
            else:
                _warm_up()
                with (
                    serial_ast(),
                    ThreadPoolExecutor(lanes, thread_name_prefix="credkit-lane") as pool,
                ):
                    futures = [
                        pool.submit(run.lane, share, steps, _seed(seed, i * 7919))
                        for i, share in enumerate(shares)
                    ]
                    try:
                        for future in futures:
                            future.result()
                    except BaseException:  # a lane's error, Ctrl-C: the others stop too
                        session.enough = True
                        raise
    finally:
        engine.MAX_SHRINKING_SECONDS = previous
    findings = run.findings
    for fp, seen in [*session.seen.items(), *session.hung.items()]:
        if len(findings) >= run.most:
            break
        if fp not in session.known:  # seen while shrinking another, not found again
            session.known.add(fp)
            findings.append(finding(ctx, MODEL_CHECK, REQ_MODEL, seen, fp))
    _tally(ctx, session, findings)
    if session.stopped:
        ctx.findings += findings
        raise ServerGone()
    return findings


def _tally(ctx: CheckContext, session: Session, findings: list[Finding]) -> None:
    """What the exploration did, for the report: sequences (shrinking's replays included),
    requests, distinct divergences found and those it resynchronised on as expected."""
    seen = ctx.exploration
    seen["sequences"] = seen.get("sequences", 0) + session.sequences - seen.get("_counted", 0)
    seen["_counted"] = session.sequences
    seen["requests"] = session.requests
    seen["distinct"] = seen.get("distinct", 0) + len(findings)
    seen["expected"] = len(ctx.expected)


@check(MODEL_CHECK, group="model", requirement=REQ_MODEL)
def model_conformance(ctx: CheckContext) -> None:
    config = ctx.config
    if ctx.mode != "fuzz":
        types, others = pick_types(ctx)
        session = Session(ctx, types, others, Judge(config.secret_key, ctx.secrets))
        if config.duration:  # the exploration's share of a time-bounded run
            until = ctx.started + config.duration * VERIFY_SHARE
            session.out_of_time = lambda: time.monotonic() >= until
        ctx.findings += run_model(
            ctx,
            examples=config.max_examples * EXAMPLES_PER_MAX_EXAMPLE,
            seed=config.seed,
            session=session,
        )
        return
    share = 1.0 if ctx.schema_beside else 0.5  # schemathesis runs beside, or after, the model
    deadline = time.monotonic() + (config.duration or 600) * share
    round_ = 0
    types, others = pick_types(ctx)
    session = Session(ctx, types, others, Judge(ctx.config.secret_key, ctx.secrets))
    session.out_of_time = lambda: time.monotonic() >= deadline
    most = config.max_failures
    while time.monotonic() < deadline and not (most and len(ctx.findings) >= most):
        if session.enough:  # a round reported as many as one run reports: no lane would start
            break
        seed = None if config.seed is None else config.seed + round_ * 1000
        ctx.findings += run_model(ctx, examples=50, steps=STEPS * 2, seed=seed, session=session)
        round_ += 1
