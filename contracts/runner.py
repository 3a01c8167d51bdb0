"""One contract run: preflight, the checks, schemathesis, passive judging, cleanup — in that order.

Cleanup (deleting every credential the run created) runs whatever happened before it: a
failure, an exception, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import itertools
import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from contracts.allow import AllowList
from contracts.baseline import Baseline, BaselineEntry
from contracts.checks import Abort, Check, Finding, SetupRefused, Skip, select_checks
from contracts.cleanup import CLEANUP_CHECK, cleanup
from contracts.client import CREDENTIALS, Api, Exchange, NoAnswer, SafetyError, Unreachable
from contracts.config import ENV_VARS, VerifyConfig
from contracts.context import CheckContext
from contracts.outcomes import ServerGone
from contracts.safety import IdTracker, Redactor, body_files, new_run_id
from credkit_core.catalog import default_catalog

__all__ = ["Outcome", "RunResult", "apply_baseline", "run"]

# Active checks that `credkit fuzz` runs too (beside schemathesis, or for half of --duration
# before it): the generated ones.
FUZZ_ACTIVE = frozenset({"model-conformance"})

# progress(event, detail): ("check", name) | ("schema", operation label) | ("cleanup", count)
# | ("requests", "<requests sent>/<findings so far>"), at most about once a second
Progress = Callable[[str, str], None]
PING = "/api/v1/ping"


@dataclass(slots=True)
class Outcome:
    check: Check
    status: str  # passed | failed | allowed | skipped | error
    findings: list[Finding] = field(default_factory=list)
    reason: str | None = None
    # the check's own time; None for schemathesis checks (they share one phase, whose time
    # is not any one check's)
    seconds: float | None = 0.0


@dataclass(slots=True)
class RunResult:
    run_id: str
    base_url: str
    mode: str
    outcomes: list[Outcome]
    seconds: float
    exit_code: int
    abort_reason: str | None = None
    setup_findings: list[Finding] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    created: int = 0
    requests: int = 0  # every request the run sent (its own and schemathesis')
    # request bodies too large for a reproduction's command line, by the file name its curl
    # reads them from (`--data-binary @name`); scrubbed like every other output
    bodies: dict[str, bytes] = field(default_factory=dict)
    seed: int | None = None  # the --seed given (None: each run draws its own)
    baseline: Baseline | None = None
    # entries of the baseline (of checks that ran) whose finding did not occur this time
    baseline_gone: list[BaselineEntry] = field(default_factory=list)
    # what the run could not see without --secret-key (None when it was given)
    unseen: str | None = None
    # the generated exploration: sequences, requests, distinct divergences, expected ones
    exploration: dict[str, int] = field(default_factory=dict)

    def failures(self) -> list[Finding]:
        found = [f for o in self.outcomes for f in o.findings if not f.allowed]
        return self.setup_findings + found


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C (so cleanup runs); only from the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _preflight(ctx: CheckContext) -> None:
    """Before any check: a key is given, the target is the credentials API, the keys work."""
    config = ctx.config
    if not config.api_key:
        raise SetupRefused(
            f"no --api-key (or {ENV_VARS['api_key']}) given: the suite needs a key with full "
            "credential permissions"
        )
    for role, name in (
        ("full", "api_key"),
        ("readonly", "readonly_api_key"),
        ("foreign", "foreign_api_key"),
    ):
        if config.key_for(role) is None:
            continue
        exchange = ctx.api.request("GET", CREDENTIALS, role=role)
        if role == "full" and not _is_listing(exchange):
            _judge_target(ctx, exchange)
        option = "--" + name.replace("_", "-")
        if exchange.status in (401, 403) and (role == "full" or exchange.status == 401):
            raise SetupRefused(
                f"the {option} ({ENV_VARS[name]}) was refused: GET {config.base_url}"
                f"{CREDENTIALS} answered {_glimpse(exchange)}"
            )
        if exchange.status >= 500:
            ctx.fail(
                "setup: listing credentials must not fail with a 5xx",
                ctx.describe(exchange),
                exchange,
            )


def _is_listing(exchange: Exchange) -> bool:
    return exchange.status == 200 and isinstance(exchange.body, list)


def _is_pong(exchange: Exchange) -> bool:
    return exchange.status == 200 and exchange.content.strip() == b"pong"


def _judge_target(ctx: CheckContext, listing: Exchange) -> None:
    """The full key's listing is not a JSON array: is this the credentials API at all?

    It is when `GET /api/v1/ping` answers `pong` (Flowise and the mock, both profiles; the
    ping needs no key) and the listing is a refusal (401/403: the key), a 5xx (the server's
    fault, reported) or JSON (a malformed listing, reported by the checks). Anything else — a
    path prefix the server does not have (`/api/v1/api/v1/...`), another web server, Flowise's
    UI page that answers unknown routes with 200 text/html — is not: the run stops, exit 2."""
    ping = ctx.api.request("GET", PING, role=None)
    if _is_pong(ping) and (
        listing.status in (401, 403) or listing.status >= 500 or listing.body is not None
    ):
        return
    base = ctx.config.base_url
    hint = (
        " Drop the trailing /api/v1: --base-url is the server root."
        if base.rstrip("/").endswith("/api/v1")
        else " --base-url is the server root, e.g. http://127.0.0.1:3000 or https://host/flowise."
    )
    raise SetupRefused(
        ctx.redactor(
            f"{base} is not the Flowise credentials API: GET {base}{CREDENTIALS} answered "
            f"{_glimpse(listing)} (expected a JSON array), and GET {base}{PING} answered "
            f"{_glimpse(ping)}{'' if _is_pong(ping) else ' (expected pong)'}.{hint}"
        )
    )


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


def _glimpse(exchange: Exchange) -> str:
    """`404 text/html ("Error response")`: the status, media type and a few words of the body
    (a JSON body with its data values masked; an HTML page by its title)."""
    media = exchange.headers.get("content-type", "no Content-Type").split(";")[0].strip()
    location = exchange.headers.get("location")
    if 300 <= exchange.status < 400 and location:  # e.g. http:// → https://: say where to
        return f"{exchange.status} redirect to {location!r}"
    if exchange.body is not None:
        from contracts.safety import mask_body

        text = json.dumps(mask_body(exchange.body), ensure_ascii=False)
        if isinstance(exchange.body, list):
            text = f"a JSON array of {len(exchange.body)} items"
    else:
        title = _TITLE.search(exchange.content[:4096])
        raw = title.group(1) if title else exchange.content[:200]
        text = " ".join(raw.decode("utf-8", "replace").split())
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{exchange.status} {media}" + (f" ({text!r})" if text else " (empty body)")


def _observer(
    ctx: CheckContext,
    passive: list[Check],
    bucket: dict[str, dict[tuple[str, str], Finding]],
    judged: dict[str, int],
    sent: list[int],
    tick: Callable[[], None],
) -> Callable[[Exchange], None]:
    """Show each exchange to the passive checks that judge it; count what each one judged and
    (in `sent[0]`) every exchange. The preflight's exchanges are counted, not judged: a run
    that cannot start reports no findings about a target that may not be the API at all."""
    lock = threading.Lock()

    def observe(exchange: Exchange) -> None:
        with lock:
            sent[0] += 1
        tick()
        if ctx.check_name == "setup":
            return
        for item in passive:
            assert item.observe is not None
            if item.judges is not None and not item.judges(ctx, exchange):
                continue
            with lock:
                judged[item.name] += 1
            for problem in item.observe(ctx, exchange):
                key = (exchange.operation, problem)
                with lock:
                    if key not in bucket[item.name]:
                        bucket[item.name][key] = Finding(
                            check=item.name,
                            operation=exchange.operation,
                            requirement=item.requirement,
                            observed=ctx.redactor(f"{problem} ({ctx.describe(exchange)})"),
                            curl=ctx.redactor(exchange.curl()),
                            status=exchange.status,
                        )

    return observe


UNSEEN = (
    "no --secret-key: what the server stores was not decrypted, so a lost secret (a marker or "
    "a masked url stored literally, a merge that drops a key of a password input) is seen "
    "only where a read shows it"
)
GONE = "the server stopped answering earlier in the run (see the failed check's finding)"
REQ_ANSWERS = "Every request gets an answer within --timeout, and the server keeps answering."


def no_answer(ctx: CheckContext, exc: NoAnswer | Unreachable, *, gone: bool) -> None:
    """Record a request without an answer (or a server that went away) as a finding of the
    running check, with the request that led to it."""
    timeout = ctx.config.timeout
    exchange: Exchange | None
    if isinstance(exc, NoAnswer) and exc.exchange is not None:
        exchange = exc.exchange
        observed = f"no answer within {timeout:g}s"
        detail = "no answer within --timeout"
    else:  # refused or reset after the run started: the last request answered is the lead
        exchange = ctx.api.last
        observed = f"the server stopped answering after this request ({exc})"
        detail = "the server stopped answering"
    if gone:
        observed += "; a ping then got no answer either: the server is down"
        detail += ", then went down"
    operation = exchange.operation if exchange is not None else "-"
    ctx.findings.append(
        Finding(
            check=ctx.check_name,
            operation=operation,
            requirement=REQ_ANSWERS,
            observed=ctx.redactor(observed),
            curl=ctx.redactor(exchange.curl()) if exchange is not None else None,
            detail=detail,
        )
    )


def _run_active(ctx: CheckContext, item: Check) -> Outcome:
    assert item.run is not None
    ctx.check_name, ctx.findings = item.name, []
    ctx.last_update = ctx.last_read = None
    started = time.monotonic()
    status, reason = "passed", None
    try:
        item.run(ctx)
    except Skip as exc:
        status, reason = "skipped", str(exc)
    except Abort:
        pass
    except (NoAnswer, Unreachable) as exc:  # after the preflight: the server's defect
        gone = isinstance(exc, Unreachable) or not ctx.api.answers()
        no_answer(ctx, exc, gone=gone)
        if gone:
            raise ServerGone(Outcome(item, "failed", list(ctx.findings), None,
                                     time.monotonic() - started)) from exc  # fmt: skip
    except ServerGone as exc:  # a check that judged the hang itself (the model)
        raise ServerGone(Outcome(item, "failed", list(ctx.findings), None,
                                 time.monotonic() - started)) from exc  # fmt: skip
    except (SetupRefused, KeyboardInterrupt):
        raise
    except (SafetyError, httpx.HTTPError, Exception) as exc:
        status, reason = "error", ctx.redactor(f"{type(exc).__name__}: {exc}")
    return Outcome(item, status, list(ctx.findings), reason, time.monotonic() - started)


def run(
    config: VerifyConfig,
    *,
    mode: str = "verify",
    allow: AllowList | None = None,
    baseline: Baseline | None = None,
    progress: Progress | None = None,
    transport: httpx.BaseTransport | None = None,
) -> RunResult:
    """Run the selected checks against `config.base_url`; never raises for the server's faults."""
    started = time.monotonic()
    notify = progress or (lambda event, detail: None)
    selected = select_checks(config.include_checks, config.exclude_checks)
    tracker = IdTracker(config.seed)
    ctx = CheckContext(
        config=config,
        api=Api(config, tracker, transport=transport),
        run_id=new_run_id(),
        tracker=tracker,
        redactor=Redactor(config.sensitive_values()),
        catalog=default_catalog(),
        mode=mode,
        expected=(allow.fingerprints() if allow else frozenset())
        | (baseline.fingerprints() if baseline else frozenset()),
    )
    passive = [c for c in selected if c.kind == "passive" and all(config.has(n) for n in c.needs)]
    bucket: dict[str, dict[tuple[str, str], Finding]] = {c.name: {} for c in passive}
    judged = dict.fromkeys(bucket, 0)
    sent = [0]
    tick = _ticker(notify, sent, bucket, ctx)
    ctx.api.observers.append(_observer(ctx, passive, bucket, judged, sent, tick))
    outcomes: list[Outcome] = []
    abort: str | None = None
    setup: list[Finding] = []
    preflight_passed = False
    try:
        with _sigterm_as_interrupt():
            try:
                ctx.check_name = "setup"
                _preflight(ctx)
                setup, preflight_passed = list(ctx.findings), True
                ctx.check_name = ""  # from here every exchange is judged
                _run_all(ctx, selected, mode, notify, outcomes)
            except (SetupRefused, Unreachable, NoAnswer) as exc:  # (the preflight's)
                abort = ctx.redactor(str(exc))
            except KeyboardInterrupt:
                abort = "interrupted"
            finally:
                notify("cleanup", str(len(tracker.alive())))
                try:
                    leftovers = cleanup(ctx)
                    setup += [f for f in ctx.findings if f.check == CLEANUP_CHECK]
                except KeyboardInterrupt:  # a second Ctrl-C: say what is left, then stop
                    leftovers, abort = tracker.alive(), "interrupted during cleanup"
    finally:
        ctx.api.close()
    done = {o.check.name for o in outcomes}
    for item in selected:  # (none when the preflight stopped the run: nothing was checked)
        if not preflight_passed:
            break
        if item.kind == "passive" and item.name in bucket and item.name not in done:
            outcomes.append(_passive_outcome(item, list(bucket[item.name].values()), judged))
    _finish(outcomes, allow, baseline)
    result = RunResult(
        run_id=ctx.run_id,
        base_url=config.base_url,
        mode=mode,
        outcomes=outcomes,
        seconds=time.monotonic() - started,
        exit_code=0,
        abort_reason=abort,
        setup_findings=setup,
        leftovers=leftovers,
        created=len(tracker.created()),
        requests=sent[0],
        seed=config.seed,
        baseline=baseline,
        unseen=None if config.secret_key else UNSEEN,
        exploration={k: v for k, v in ctx.exploration.items() if not k.startswith("_")},
    )
    if baseline is not None:
        ran = {o.check.name for o in outcomes if o.status not in ("skipped", "error")}
        everything = [f for o in outcomes for f in o.findings] + setup
        result.baseline_gone = baseline.gone(everything, ran)
    curls = "\n".join(f.curl or "" for f in result.failures() + _allowed(outcomes))
    result.bodies = {
        name: ctx.redactor(data.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape"
        )
        for name, data in body_files(curls).items()
    }
    result.exit_code = _exit_code(result, fail_on_skip=config.fail_on_skip)
    return result


def apply_baseline(result: RunResult, baseline: Baseline, *, fail_on_skip: bool = False) -> None:
    """Judge a finished run again against `baseline` (the one just written from it: every
    finding becomes known, and the exit code says only whether the run completed)."""
    _finish(result.outcomes, None, baseline)
    result.baseline = baseline
    result.exit_code = _exit_code(result, fail_on_skip=fail_on_skip)


def _allowed(outcomes: list[Outcome]) -> list[Finding]:
    return [f for o in outcomes for f in o.findings if f.allowed]


def _ticker(
    notify: Progress,
    sent: list[int],
    bucket: dict[str, dict[tuple[str, str], Finding]],
    ctx: CheckContext,
) -> Callable[[], None]:
    """Called on every exchange: a ("requests", "<sent>/<findings>") event at most once a
    second (findings so far: the current check's, the passive checks' and schemathesis')."""
    last = [0.0]

    def tick() -> None:
        now = time.monotonic()
        if now - last[0] < 1.0:
            return
        last[0] = now
        found = len(ctx.findings) + sum(len(b) for b in bucket.values()) + ctx.schema_findings
        notify("requests", f"{sent[0]}/{found}")

    return tick


def _passive_outcome(item: Check, findings: list[Finding], judged: dict[str, int]) -> Outcome:
    """Passed (or failed) only when the check judged at least one exchange; else skipped."""
    if not judged[item.name] and not findings:
        return Outcome(item, "skipped", reason=item.unjudged)
    return Outcome(item, "passed", findings)


def _run_all(
    ctx: CheckContext, selected: list[Check], mode: str, notify: Progress, outcomes: list[Outcome]
) -> None:
    """Run the checks, appending each outcome as it is known (an interrupt keeps them).

    With `--concurrency` above 1 and no `--rate-limit`, the schemathesis phase runs in a thread
    beside the active checks (they touch only what each creates): a `verify` run takes about as
    long as the longer of the two instead of both, which is what counts against a remote
    target, and `fuzz` gives both the whole --duration instead of half each."""
    if mode == "fuzz":  # the long-running form: the model, schemathesis and the passive checks
        selected = [c for c in selected if c.kind != "active" or c.name in FUZZ_ACTIVE]
    schema = [c for c in selected if c.kind == "schema"]
    beside: threading.Thread | None = None
    schema_outcomes: list[Outcome] = []
    raised: list[BaseException] = []

    def schema_phase() -> None:
        try:
            _run_schema(ctx, schema, mode, notify, [], schema_outcomes)
        except BaseException as exc:  # re-raised in the run's own thread
            raised.append(exc)

    # (with --rate-limit, one after the other: schemathesis keeps its own limiter, and two
    # limiters side by side would allow twice the rate)
    if schema and ctx.config.concurrency > 1 and not ctx.config.rate_limit:
        ctx.schema_beside = True
        beside = threading.Thread(target=schema_phase, name="credkit-schemathesis", daemon=True)
        beside.start()
    try:
        for item in selected:
            missing = [n for n in item.needs if not ctx.config.has(n)]
            if ctx.gone and item.kind != "passive":
                if item.kind == "active":
                    outcomes.append(Outcome(item, "skipped", reason=GONE))
            elif missing:
                options = ", ".join("--" + n.replace("_", "-") for n in missing)
                outcomes.append(Outcome(item, "skipped", reason=f"needs {options}"))
            elif item.kind == "active" and (mode == "verify" or item.name in FUZZ_ACTIVE):
                notify("check", item.name)
                try:
                    outcomes.append(_run_active(ctx, item))
                except ServerGone as exc:
                    outcomes.append(exc.args[0])
                    ctx.gone = True
                    ctx.stopping.set()  # schemathesis, if beside, stops at its next scenario
    except BaseException:
        ctx.stopping.set()  # (an interrupt: schemathesis stops at its next scenario)
        raise
    finally:
        if beside is not None:
            beside.join(timeout=None if not ctx.stopping.is_set() else 30)
    if raised:
        raise raised[0]
    if beside is None and schema:
        _run_schema(ctx, schema, mode, notify, outcomes, schema_outcomes)
    elif beside is not None and beside.is_alive():  # did not stop within 30 s: not waited for
        reason = GONE if ctx.gone else "schemathesis did not stop in time"
        schema_outcomes = [Outcome(item, "skipped", reason=reason) for item in schema]
    outcomes += list(schema_outcomes)


def _run_schema(
    ctx: CheckContext,
    schema: list[Check],
    mode: str,
    notify: Progress,
    before: list[Outcome],
    outcomes: list[Outcome],
) -> None:
    """The schemathesis phase: its checks' outcomes appended to `outcomes`. `before` are the
    outcomes of what ran first (`fuzz`: the model), whose time comes off --duration."""
    from contracts.schema import run_schemathesis

    if ctx.gone:
        outcomes += [Outcome(item, "skipped", reason=GONE) for item in schema]
        return
    notify("check", "schemathesis")
    observe = ctx.api.observers[0]
    spent = sum(o.seconds or 0.0 for o in before)
    deadline = (
        time.monotonic() + max(1.0, ctx.config.duration - spent) if ctx.config.duration else None
    )
    findings: list[Finding] = []
    error: str | None = None
    try:
        for round_ in itertools.count():
            remaining = deadline - time.monotonic() if deadline else None
            findings += run_schemathesis(
                ctx,
                [c.name for c in schema],
                observe,
                fuzz=mode == "fuzz",
                max_time=remaining,
                progress=lambda label: notify("schema", label),
                round_=round_,
            )
            if deadline is None or time.monotonic() >= deadline - 1 or mode != "fuzz":
                break
    except (KeyboardInterrupt, SetupRefused, Unreachable):
        raise
    except Exception as exc:
        error = ctx.redactor(f"{type(exc).__name__}: {exc}")
    if ctx.gone and not findings and error is None:  # stopped beside a check that saw it go
        outcomes += [Outcome(item, "skipped", reason=GONE) for item in schema]
        return
    for item in schema:
        mine = _dedupe([f for f in findings if f.check == item.name])
        status = "error" if error and not mine else ("failed" if mine else "passed")
        outcomes.append(Outcome(item, status, mine, error, None))


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: dict[tuple[str, str, str], Finding] = {}
    for f in findings:
        seen.setdefault((f.check, f.operation, f.observed.split(":", 1)[0]), f)
    return list(seen.values())


def _finish(outcomes: list[Outcome], allow: AllowList | None, baseline: Baseline | None) -> None:
    known = baseline.fingerprints() if baseline is not None else frozenset()
    for outcome in outcomes:
        for finding in outcome.findings:
            if allow is not None:
                finding.allowed_reason = allow.reason_for(finding)
            if finding.fingerprint in known and baseline is not None:
                finding.baselined = True
                finding.allowed_reason = finding.allowed_reason or baseline.reason
        if outcome.status in ("skipped", "error"):
            continue
        if not outcome.findings:
            outcome.status = "passed"
        elif all(f.allowed for f in outcome.findings):
            outcome.status = "allowed"
        else:
            outcome.status = "failed"


def _exit_code(result: RunResult, *, fail_on_skip: bool = False) -> int:
    """0 conforms; 1 violates (or a check errored); 2 could not run: aborted, left credentials
    behind, or (with `fail_on_skip`) skipped a check."""
    if result.abort_reason is not None:
        return 2
    if result.failures() or any(o.status == "error" for o in result.outcomes):
        return 1
    if result.leftovers:
        return 2
    return 2 if fail_on_skip and any(o.status == "skipped" for o in result.outcomes) else 0
