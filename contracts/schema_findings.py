"""Turning what schemathesis saw into the suite's findings (masked, with a reproduction)."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import httpx

from contracts.checks import Finding
from contracts.client import Exchange, path_id
from contracts.context import CheckContext
from contracts.safety import Made, curl
from contracts.schema_checks import SCHEMA_CHECKS, SERVER_RESPONDS, SERVER_RESPONDS_REQUIREMENT

__all__ = ["case_curl", "collect", "network_finding", "to_exchange"]


def case_curl(ctx: CheckContext, case: Any, *, deleted_first: bool = False) -> str:
    """The case as a reproduction; `deleted_first` (use_after_free) deletes the credential the
    case names before the request, as the run did."""
    made = ctx.tracker.made(str((case.path_parameters or {}).get("id")))
    url = ctx.config.base_url + case.formatted_path
    if case.query:
        url += "?" + str(httpx.QueryParams({k: v for k, v in case.query.items()}))
    extra = {
        k: str(v)
        for k, v in (case.headers or {}).items()
        if k.lower() not in ("authorization", "content-type")
    }
    body = case.body if not _is_unset(case.body) else None
    raw = None
    if body is not None and not isinstance(body, dict | list):
        raw, body = str(body).encode(), None
    first = ""
    if deleted_first and made is not None:
        item = ctx.config.base_url + case.formatted_path
        first = curl("DELETE", item, insecure=ctx.config.insecure, made=made) + "\n"
    command = curl(
        case.method,
        url,
        body=body,
        raw_body=raw,
        content_type=case.media_type if (body is not None or raw) else None,
        headers=extra,
        insecure=ctx.config.insecure,
        made=made,
        setup=not first,
    )
    return ctx.redactor(first + command)


def _is_unset(value: Any) -> bool:
    return type(value).__name__ == "NotSet"


def to_exchange(case: Any, response: Any, base_url: str, made: Made | None = None) -> Exchange:
    try:
        body = response.json()
    except Exception:
        body = None
    headers = httpx.Headers([(k, v) for k, values in response.headers.items() for v in values])
    return Exchange(
        method=case.method,
        path=case.formatted_path,
        url=base_url + case.formatted_path,
        role="full",
        status=response.status_code,
        headers=headers,
        content=response.content or b"",
        body=body,
        request_body=case.body if isinstance(case.body, dict) else None,
        made=made,
    )


def collect(
    ctx: CheckContext, recorder: Any, findings: dict[tuple[str, str, str], Finding]
) -> None:
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            if node.failure_info is None or str(node.status) != "failure":
                continue
            failure = node.failure_info.failure
            case_node = recorder.cases.get(case_id)
            if case_node is None:
                continue
            case = case_node.value
            operation = case.operation.label
            key = (node.name, operation, failure.title)
            if key in findings:
                continue
            interaction = recorder.interactions.get(case_id)
            status = (
                interaction.response.status_code
                if interaction is not None and interaction.response is not None
                else None
            )
            ctx.schema_findings += 1
            findings[key] = Finding(
                check=node.name,
                operation=operation,
                requirement=SCHEMA_CHECKS.get(node.name, failure.title),
                observed=ctx.redactor(_observed(failure, interaction)),
                curl=case_curl(ctx, case, deleted_first=node.name == "use_after_free"),
                status=status,
            )


def _observed(failure: Any, interaction: Any) -> str:
    """`Server error (received 500 application/json): ...`: schemathesis' title and message,
    with the status (and media type) received when the message does not already say it."""
    message = " ".join(str(failure.message or "").split())
    response = getattr(interaction, "response", None)
    received = ""
    if response is not None:
        status = str(response.status_code)
        media = _media_type(response)
        if not re.search(rf"\b{status}\b", message):
            received = f" (received {status}{' ' + media if media else ''})"
    text = f"{failure.title}{received}" + (f": {message}" if message else "")
    return text[:600]


def _media_type(response: Any) -> str:
    values = response.headers.get("content-type") or response.headers.get("Content-Type") or []
    value = values[0] if isinstance(values, list) and values else values
    return str(value).split(";")[0].strip() if value else ""


def network_finding(
    ctx: CheckContext, event: Any, findings: dict[tuple[str, str, str], Finding]
) -> None:
    label = str(getattr(event, "label", "-"))
    kind = type(event.value).__name__
    key = (SERVER_RESPONDS, label, kind)
    if key not in findings:
        ctx.schema_findings += 1
        findings[key] = Finding(
            check=SERVER_RESPONDS,
            operation=label,
            requirement=SERVER_RESPONDS_REQUIREMENT,
            observed=ctx.redactor(f"{kind}: {str(event.value)[:300]}"),
            curl=_request_curl(ctx, getattr(event.value, "request", None)),
        )


def _request_curl(ctx: CheckContext, request: Any) -> str | None:
    """The reproduction of the request a network error (a timeout, a dropped connection)
    interrupted, from the request the exception carries (None when it carries none)."""
    url = getattr(request, "url", None)
    method = getattr(request, "method", None)
    if not isinstance(url, str) or not isinstance(method, str):
        return None
    path = url.removeprefix(ctx.config.base_url)
    raw = getattr(request, "body", None)
    if isinstance(raw, str):
        raw = raw.encode()
    body: Any = None
    if isinstance(raw, bytes):
        with contextlib.suppress(ValueError, RecursionError):
            body, raw = json.loads(raw), None
    headers = getattr(request, "headers", None) or {}
    content_type = headers.get("Content-Type") if raw is not None or body is not None else None
    command = curl(
        method,
        url,
        body=body,
        raw_body=raw,
        content_type=content_type,
        insecure=ctx.config.insecure,
        made=ctx.tracker.made(path_id(path.split("?", 1)[0])),
    )
    return ctx.redactor(command)
