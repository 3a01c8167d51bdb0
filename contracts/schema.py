"""schemathesis 4.x under the suite's safety rules: conformance, negative and stateful testing.

Every request schemathesis sends passes `before_call`, which replaces a path id the run did not
create by one it did (or by a `credkit-absent-...` id) and names created credentials
`credkit-verify-<run id>-...`; `after_call` tracks creates and deletions and shows every answer
to the passive checks. Known false positives are configured away (see `schemathesis_config`).
"""

from __future__ import annotations

import atexit
import copy
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from contracts.checks import Finding
from contracts.client import CREDENTIALS, Exchange
from contracts.context import CheckContext, input_of, pick_type
from contracts.safety import absent_id, is_absent_id, run_name
from contracts.schema_checks import SCHEMA_CHECKS
from contracts.schema_findings import collect, network_finding, to_exchange
from contracts.schema_lifecycle import LIFECYCLE_CHECKS, judge_lifecycle
from contracts.schema_retry import retrying_429
from contracts.threads import serial_ast
from credkit_core.resources import CREDENTIALS_SPEC, load_spec

__all__ = ["EXPECTED_REJECTIONS", "TargetPool", "run_schemathesis", "schemathesis_config"]

# negative_data_rejection: schemathesis counts only 400/401/403/404/405/406/409/422 as a rejection
# by default; the contract answers a missing body with 412, a non-JSON body with 415 and an
# oversized one with 413 (see tests/contracts/test_schema.py).
EXPECTED_REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422"]
# positive_data_acceptance: a drawn id names no credential (404), a valid request may still be
# refused by a permission (403) — both are not "valid data rejected".
EXPECTED_ACCEPTANCE = ["2xx", "401", "403", "404"]
_RUN_LOCK = threading.Lock()  # schemathesis' before_call hook is process-global


def schemathesis_config(
    ctx: CheckContext,
    checks: Iterable[str],
    *,
    fuzz: bool,
    max_time: float | None,
    round_: int = 0,
) -> dict[str, Any]:
    """The schemathesis configuration (as its TOML would say it) for this run."""
    config = ctx.config
    enabled = set(checks)
    headers = {name: value for name, value in config.headers}
    headers["Authorization"] = f"Bearer {config.api_key}"
    phases = ("fuzzing", "stateful") if fuzz else config.phases
    data: dict[str, Any] = {
        "base-url": config.base_url,
        "headers": headers,
        "tls-verify": config.verify_tls,
        "request-timeout": config.timeout,
        "workers": 1,
        "continue-on-failure": True,
        "cache": {"enabled": False},
        "generation": {"max-examples": config.max_examples, "mode": "all", "database": "none"},
        "phases": {
            name: {"enabled": name in phases}
            for name in ("examples", "coverage", "fuzzing", "stateful")
        },
        "checks": {name: {"enabled": name in enabled} for name in SCHEMA_CHECKS},
    }
    for name in LIFECYCLE_CHECKS:  # judged by the suite against its own record
        data["checks"][name]["enabled"] = False
    data["checks"]["negative_data_rejection"]["expected-statuses"] = EXPECTED_REJECTIONS
    data["checks"]["positive_data_acceptance"]["expected-statuses"] = EXPECTED_ACCEPTANCE
    if config.seed is not None:  # a later round of `fuzz` explores new ground
        data["seed"] = config.seed + round_
    if config.rate_limit:
        data["rate-limit"] = config.rate_limit  # as given: `90/m` (see parse_rate_limit)
    if max_time is not None:
        data["max-time"] = max(1, int(max_time))
    return data


class TargetPool:
    """Credentials created for schemathesis to update, read and delete (re-created when deleted)."""

    def __init__(self, ctx: CheckContext, max_creates: int = 25) -> None:
        self.ctx = ctx
        self.max_creates = max_creates
        self.targets: list[str] = []
        self.creates = 0
        self.ctype = pick_type(ctx.catalog, "password")
        self.secret_input = input_of(self.ctype, "password")

    def _create(self) -> str | None:
        if self.creates >= self.max_creates:
            return None
        self.creates += 1
        body = {
            "name": run_name(self.ctx.run_id, f"target-{self.creates}"),
            "credentialName": self.ctype.name,
            # a secret in every target: whatever schemathesis reads back is scanned for it
            "plainDataObj": {"k": "v", self.secret_input: self.ctx.new_secret()},
        }
        exchange = self.ctx.api.request("POST", CREDENTIALS, json_body=body)
        if (
            exchange.status == 200
            and isinstance(exchange.body, dict)
            and isinstance(exchange.body.get("id"), str)
        ):
            self.targets.append(exchange.body["id"])
            return str(exchange.body["id"])
        return None

    def pick(self) -> str:
        """A live target id (most of the time) or an absent one."""
        tracker = self.ctx.tracker
        if tracker.chance(0.25):
            return absent_id()
        live = set(tracker.alive())  # (once, not once per target)
        alive = [t for t in self.targets if t in live]
        if not alive:
            created = self._create()
            return created or absent_id()
        return tracker.pick(alive)


_HYPOTHESIS_HOME: list[str] = []  # one private directory per process, removed at exit


@contextmanager
def _private_hypothesis_home() -> Iterator[None]:
    """Hypothesis keeps a cache in ./.hypothesis; a run of the suite leaves nothing behind."""
    from hypothesis import configuration

    if not _HYPOTHESIS_HOME:
        _HYPOTHESIS_HOME.append(tempfile.mkdtemp(prefix="credkit-hypothesis-"))
        atexit.register(shutil.rmtree, _HYPOTHESIS_HOME[0], ignore_errors=True)
    previous = getattr(configuration, "__hypothesis_home_directory", None)
    configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME[0])
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)


def _with_secret(ctx: CheckContext, body: Any) -> Any:
    """A create body with a fresh secret in one of its type's password inputs (when it has
    one), so every credential schemathesis creates is scanned for leaks too."""
    if not isinstance(body, dict) or not isinstance(body.get("plainDataObj"), dict):
        return body
    name = body.get("credentialName")
    ctype = ctx.catalog.get(name) if isinstance(name, str) else None
    if ctype is None or not ctype.password_inputs:
        return body
    key = sorted(ctype.password_inputs)[0]
    return {**body, "plainDataObj": {**body["plainDataObj"], key: ctx.new_secret()}}


def run_schemathesis(
    ctx: CheckContext,
    checks: Iterable[str],
    observe: Callable[[Exchange], None],
    *,
    fuzz: bool = False,
    max_time: float | None = None,
    progress: Callable[[str], None] | None = None,
    round_: int = 0,
) -> list[Finding]:
    """Run the schemathesis phases; the distinct failures as findings."""
    import schemathesis
    from schemathesis.engine import events
    from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

    config = schemathesis.Config.from_dict(
        schemathesis_config(ctx, checks, fuzz=fuzz, max_time=max_time, round_=round_)
    )
    document = copy.deepcopy(load_spec(ctx.config.spec_path or CREDENTIALS_SPEC))
    schema = schemathesis.openapi.from_dict(document, config=config)
    pool = TargetPool(ctx, max_creates=1000 if fuzz else 25)
    counter = iter(range(1, 10**9))
    enabled = set(checks)
    findings: dict[tuple[str, str, str], Finding] = {}

    def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
        if "{id}" in case.operation.path:
            current = (case.path_parameters or {}).get("id")
            if not (
                isinstance(current, str) and (ctx.tracker.owns(current) or is_absent_id(current))
            ):
                case.path_parameters = {**(case.path_parameters or {}), "id": pool.pick()}
        body = case.body
        if (
            case.method in ("POST", "PUT")
            and isinstance(body, dict)
            and isinstance(body.get("name"), str)
            and body["name"]
        ):
            case.body = {**body, "name": run_name(ctx.run_id, f"st-{next(counter)}")}
        if case.method == "POST" and case.operation.path == CREDENTIALS:
            case.body = _with_secret(ctx, case.body)

    def after_call(context: Any, case: Any, response: Any) -> None:
        judge_lifecycle(ctx, case, response.status_code, enabled, findings)
        made = ctx.tracker.made(str((case.path_parameters or {}).get("id")))
        exchange = to_exchange(case, response, ctx.config.base_url, made=made)
        if (
            case.method == "POST"
            and case.operation.path == CREDENTIALS
            and response.status_code == 200
            and isinstance(exchange.body, dict)
            and isinstance(exchange.body.get("id"), str)
        ):
            ctx.tracker.add(exchange.body["id"], body=exchange.request_body)
        if case.method == "DELETE" and response.status_code == 200:
            ctx.tracker.deleted(str((case.path_parameters or {}).get("id")))
        observe(exchange)

    with _RUN_LOCK, _private_hypothesis_home(), retrying_429(), serial_ast():
        GLOBAL_HOOK_DISPATCHER.register_hook_with_name(before_call, "before_call")
        GLOBAL_HOOK_DISPATCHER.register_hook_with_name(after_call, "after_call")
        try:
            for event in schemathesis.engine.from_schema(schema).execute():
                if ctx.stopping.is_set():
                    break  # the run was interrupted (schemathesis ran beside the checks)
                if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
                    collect(ctx, event.recorder, findings)
                    if progress is not None:
                        progress(event.recorder.label)
                elif isinstance(event, events.NonFatalError):
                    network_finding(ctx, event, findings)
                elif isinstance(event, events.FatalError):
                    raise RuntimeError(
                        f"schemathesis stopped: {event.exception}"
                    ) from event.exception
                elif isinstance(event, events.Interrupted):
                    raise KeyboardInterrupt
        finally:
            GLOBAL_HOOK_DISPATCHER.unregister(before_call)
            GLOBAL_HOOK_DISPATCHER.unregister(after_call)
    return list(findings.values())
