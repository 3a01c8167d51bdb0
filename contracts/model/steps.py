"""A divergence as a person can act on it: numbered `curl` steps (keys as `$API_KEY`, data
values masked, ids the sequence created as `$CRED_<n>`) with the model's expected answer beside
the server's."""

from __future__ import annotations

from contracts.checks import Finding
from contracts.context import CheckContext, describe
from contracts.model.divergence import Step, divergence_fingerprints
from contracts.safety import curl

__all__ = ["finding", "reproduction"]

_PLACEHOLDER = "CREDKIT_URL_PLACEHOLDER"


def _expectation(step: Step) -> str:
    if step.expected is None:
        return "not judged (rate-limited)"
    statuses = sorted(step.expected.statuses)
    if len(statuses) > 4:  # a wide expectation (a probe: "not a success")
        wanted = f"any of {statuses[0]}-{statuses[-1]}"
    else:
        wanted = " or ".join(str(s) for s in statuses)
    return f"{wanted} ({step.expected.why})"


def reproduction(ctx: CheckContext, steps: list[Step]) -> str:
    """The steps as commands, each under a comment saying what the model and server answered."""
    names: dict[str, str] = {}
    lines: list[str] = []
    for number, step in enumerate(steps, 1):
        exchange = step.exchange
        url = exchange.url
        for credential_id, variable in names.items():
            url = url.replace(f"/{credential_id}", f"/${variable}")
        command = curl(
            exchange.method,
            _PLACEHOLDER,
            role=exchange.role,
            scheme=exchange.scheme,
            body=exchange.request_body,
            raw_body=exchange.request_raw,
            content_type=exchange.content_type,
            headers=exchange.extra_headers,
            insecure=exchange.insecure,
        )
        quoted = url.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
        command = command.replace(_PLACEHOLDER, f'"{quoted}"')
        answered = f"{exchange.status}" if exchange.status else "no answer"
        problems = [p for p in step.problems if not p.startswith("answered ")]
        if problems:
            answered += " — " + "; ".join(problems)
        lines.append(f"# {number}. {step.rule} | model: {_expectation(step)} | server: {answered}")
        body = exchange.body
        if (
            exchange.method == "POST"
            and exchange.status == 200
            and isinstance(body, dict)
            and isinstance(body.get("id"), str)
        ):
            variable = f"CRED_{len(names) + 1}"
            names[body["id"]] = variable
            command = f"{variable}=$({command.replace('curl ', 'curl -s ', 1)} | jq -r .id)"
        lines.append(command)
    return ctx.redactor("\n".join(lines))


def finding(
    ctx: CheckContext, check: str, requirement: str, steps: list[Step], fp: str | None = None
) -> Finding:
    """The divergence at the last of `steps` as a finding; `fp` picks which of the step's
    fingerprints it is reported as (the first by default)."""
    last = steps[-1]
    details = divergence_fingerprints(last)
    earlier = len(steps) - 1
    answer = "no answer" if last.exchange.status == 0 else describe(last.exchange, ctx.redactor)
    observed = (
        f"{'; '.join(last.problems)} — after {earlier} earlier step(s) "
        f"(rule {last.rule!r}); the server: {answer}"
    )
    return Finding(
        check=check,
        operation=last.exchange.operation,
        requirement=ctx.redactor(f"{requirement} Here the model expects {_expectation(last)}."),
        observed=ctx.redactor(observed),
        curl=reproduction(ctx, steps),
        status=last.exchange.status or None,
        detail=details.get(fp or "") or next(iter(details.values())),
    )
