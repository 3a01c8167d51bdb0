"""Run schemathesis' engine (what `schemathesis run` drives) against the mock, in-process.

`fuzz(app, ...)` loads the spec the app serves (`/openapi.yaml`, the bundled
spec/credentials.openapi.yaml) with `schemathesis.openapi.from_asgi`, runs the chosen phases
(examples, coverage, fuzzing, stateful) and returns what happened: how many cases ran, every
response status per phase, and every failed check. The checks are schemathesis' own (no 5xx,
status codes, content types, response schemas and headers, Allow on 405, positive and negative
data, use after free, ...), configured for this contract:

- `negative_data_rejection` counts every 4xx status the contract gives for a bad request
  (schemathesis does not count 412 or 415 as a rejection by default; see pitfalls.md);
- `positive_data_acceptance` accepts 404: generated ids are random and mostly unknown.

schemathesis' in-process client sends `Host: testserver`, which the mock refuses (it answers
loopback names only, `mockserver.edge.hosts`); `fuzz` hands it the app behind `loopback_host`,
which sends what a real client of the mock sends: `Host: 127.0.0.1`.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

PHASES = ("examples", "coverage", "fuzzing", "stateful")
REJECTIONS = [400, 401, 403, 404, 405, 412, 413, 415]


@dataclass
class FuzzResult:
    cases: int = 0
    seconds: float = 0.0
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (phase, check, detail)
    errors: list[str] = field(default_factory=list)
    stop_reason: str = ""

    @property
    def server_errors(self) -> int:
        return sum(n for (_, status), n in self.statuses.items() if status >= 500)

    @property
    def phases(self) -> set[str]:
        return {phase for phase, _ in self.statuses}

    def summary(self) -> str:
        by_status = Counter[int]()
        for (_, status), count in self.statuses.items():
            by_status[status] += count
        lines = [
            f"{self.cases} cases in {self.seconds:.1f} s, stop: {self.stop_reason}, "
            f"statuses {dict(sorted(by_status.items()))}"
        ]
        lines += [
            f"  FAILED {phase}/{check}: {title}" for phase, check, title in self.failures[:40]
        ]
        lines += [f"  ERROR {error}" for error in self.errors[:20]]
        return "\n".join(lines)


def config(
    *,
    headers: dict[str, str] | None,
    max_examples: int,
    mode: str = "all",
    phases: tuple[str, ...] = PHASES,
    seed: int = 0,
    max_time: float | None = None,
    positive_statuses: list[int] | None = None,
) -> SchemathesisConfig:
    document: dict[str, Any] = {
        "seed": seed,
        "generation": {"mode": mode, "max-examples": max_examples},
        "phases": {name: {"enabled": name in phases} for name in PHASES},
        "checks": {
            "negative_data_rejection": {"expected-statuses": REJECTIONS},
            "positive_data_acceptance": {
                "expected-statuses": positive_statuses or [200, 201, 204, 404]
            },
        },
    }
    if headers:
        document["headers"] = headers
    if max_time is not None:
        document["max-time"] = max_time
    return SchemathesisConfig.from_dict(document)


def loopback_host(app: Any) -> Any:
    """`app` as reached at 127.0.0.1: the `Host` header of every HTTP request rewritten."""

    async def shim(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = [(n, v) for n, v in scope["headers"] if n != b"host"]
            scope = {**scope, "headers": [(b"host", b"127.0.0.1"), *headers]}
        await app(scope, receive, send)

    return shim


def fuzz(app: Any, settings: SchemathesisConfig, *, spec_file: Path | None = None) -> FuzzResult:
    """Run schemathesis against `app` in-process with `settings`; never raises on failures.

    The spec is the one the app serves at /openapi.yaml, or `spec_file` (e.g. the admin API's).
    """
    app = loopback_host(app)
    if spec_file is None:
        schema = schemathesis.openapi.from_asgi("/openapi.yaml", app, config=settings)
    else:
        schema = schemathesis.openapi.from_path(spec_file, config=settings)
        schema.app = app
        # the dashboard's live stream never ends by itself (tests/mockserver/test_dashboard.py)
        schema = schema.exclude(operation_id="streamRequests")
    result = FuzzResult()
    started = time.perf_counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phase = str(getattr(event.phase, "value", event.phase))
            recorder = event.recorder
            result.cases += len(recorder.cases)
            for interaction in recorder.interactions.values():
                if interaction.response is not None:
                    result.statuses[(phase, interaction.response.status_code)] += 1
            for case_id, nodes in recorder.checks.items():
                for node in nodes:
                    if node.failure_info is not None:
                        failure = node.failure_info.failure
                        case = recorder.cases[case_id].value
                        detail = (
                            f"{case.method} {case.formatted_path}: {failure.title}: "
                            f"{failure.message[:300]}"
                        )
                        result.failures.append((phase, node.name, detail))
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.title}")
        elif isinstance(event, events.FatalError):
            result.errors.append(f"fatal: {type(event.exception).__name__}: {event.exception}")
        elif isinstance(event, events.EngineFinished):
            result.stop_reason = str(getattr(event.stop_reason, "value", event.stop_reason))
    result.seconds = time.perf_counter() - started
    return result
