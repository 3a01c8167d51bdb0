"""One scripted scenario of the credentials API, runnable against any server.

Every step names its request by templates: `${var}` in a path or body is a variable (an id the
server generated, saved by an earlier step's `save`, or one the runner generates up front),
`${secret_x}` is a secret value made up for this run. Keys are named by role (`full`, `view`,
`nocred`, `create`, `bad`), so the same scenario runs against real Flowise and the mock; the
recording never holds a key, a secret or a runtime id, only their names.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from interop.flowise.steps import STEPS, Step

__all__ = ["KEY_ROLES", "Exchange", "Requester", "Run", "Step", "run_scenario", "substitute"]

KEY_ROLES = ("full", "view", "nocred", "create")
BAD_KEY = "credkit-interop-unknown-key"
_VAR = re.compile(r"\$\{(\w+)\}")


@dataclass
class Exchange:
    """A step's request as sent and the response as received (not yet scrubbed)."""

    step: str
    method: str
    path: str
    request_headers: dict[str, str] | list[tuple[str, str]]  # a list when a name repeats
    request_body: str | None
    status: int
    content_type: str
    body: Any


@dataclass
class Run:
    """The values of one run: what the recording must hide or map back to names."""

    keys: dict[str, str]
    variables: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)


def substitute(value: Any, names: Mapping[str, str]) -> Any:
    """`value` with every `${name}` replaced by its value (recursively in lists and dicts)."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: names[m.group(1)] if m.group(1) in names else m.group(0), value)
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    if isinstance(value, dict):
        return {substitute(k, names): substitute(v, names) for k, v in value.items()}
    return value


def _new_run(keys: Mapping[str, str]) -> Run:
    run = Run(keys=dict(keys))
    run.variables["client_id"] = str(uuid.uuid4())
    run.variables["missing_id"] = str(uuid.uuid4())
    names = ("openai", "pg", "redis", "aws_key", "aws", "co", "victim", "client", "basic", "form")
    for name in names:
        run.secrets[f"secret_{name}"] = f"s3cr3t-{name}-{secrets.token_hex(8)}"
    return run


def _request(step: Step, run: Run) -> tuple[str, list[tuple[str, str]], bytes | None]:
    names = {**run.variables, **run.secrets}
    path = substitute(step.path, names)
    headers: dict[str, str] = {}
    if step.auth is not None:
        key = BAD_KEY if step.auth == "bad" else run.keys[step.auth]
        headers["Authorization"] = f"{step.scheme} {key}" if step.scheme else key
    body: bytes | None = None
    if step.has_json:
        body = json.dumps(substitute(step.json, names)).encode()
        headers["Content-Type"] = "application/json"
    elif step.content is not None:
        body = substitute(step.content, names).encode()
    if step.content_type is not None:
        headers["Content-Type"] = step.content_type
    extra = [(k, v.replace("$API_KEY_FULL", run.keys["full"])) for k, v in step.headers]
    return path, [*headers.items(), *extra], body


def _parse(response: httpx.Response) -> Any:
    if "json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


class Requester(Protocol):
    """What the scenario sends through: an `httpx.Client`, or an in-process equivalent."""

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response: ...


def run_scenario(client: Requester, keys: Mapping[str, str]) -> Run:
    """Send every step through `client` (its base URL is the server); return what happened."""
    run = _new_run(keys)
    for step in STEPS:
        path, headers, body = _request(step, run)
        response = client.request(step.method, path, headers=headers, content=body)
        names = [k.lower() for k, _ in headers]
        shown: dict[str, str] | list[tuple[str, str]] = (
            headers if len(set(names)) < len(names) else dict(headers)
        )
        parsed = _parse(response)
        for var, fieldname in step.save.items():
            # A step that fails to create leaves its variable unset: later paths keep `${var}`.
            if isinstance(parsed, dict) and isinstance(parsed.get(fieldname), str):
                run.variables[var] = parsed[fieldname]
        run.exchanges.append(
            Exchange(
                step=step.name,
                method=step.method,
                path=path,
                request_headers=shown,
                request_body=body.decode() if body is not None else None,
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=parsed,
            )
        )
    return run
