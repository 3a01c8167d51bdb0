"""`Prefer: code=NNN` / `Prefer: example=NAME`: pick one of an operation's documented answers.

As Stoplight Prism users expect, a frontend can ask the `spec` profile for any answer the spec
documents, to build its error states without arranging them: `Prefer: code=404` answers the
operation's documented 404 (in the error shape), `Prefer: example=Updated` answers that named
example with its status, and both together narrow the example to that status. A chosen answer
touches no state: it comes after the route and key checks (so 404/405, 401 and 403 still come
first) and instead of the body checks and the handler.

Preferences other than `code` and `example` are ignored (RFC 7240: a server may ignore any);
a malformed or undocumented one is a 400 naming what the operation documents. The `flowise-3.1`
profile ignores the header, as the real server does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from mockserver.responses import JSON, TEXT, ApiError, Reply, error_reply, shown
from mockserver.routing import resolve

__all__ = ["Answers", "Preference", "parse_prefer"]


@dataclass(frozen=True, slots=True)
class Preference:
    """What a `Prefer` header asks for (None: not asked)."""

    code: int | None = None
    example: str | None = None


def parse_prefer(raw: bytes | None) -> Preference | None:
    """The `code` and `example` preferences of a `Prefer` header; None when it asks for
    neither. `ApiError(400)` for a `code` that is not a status code."""
    if not raw:
        return None
    code: int | None = None
    example: str | None = None
    text = raw.decode("latin-1")
    for item in text.split(","):
        token, _, value = item.split(";", 1)[0].strip().partition("=")
        name = token.strip().lower()
        value = value.strip().strip('"')
        if name == "code":
            if not (
                value.isascii() and value.isdigit() and len(value) == 3 and 100 <= int(value) <= 599
            ):
                raise ApiError(
                    400,
                    f"Prefer: code={shown(value)!r} is not an HTTP status code; "
                    "use e.g. 'Prefer: code=404'.",
                )
            code = int(value)
        elif name == "example":
            if not value:
                raise ApiError(
                    400, "Prefer: example= needs a name, e.g. 'Prefer: example=Updated'."
                )
            example = value
    if code is None and example is None:
        return None
    return Preference(code, example)


@dataclass(frozen=True, slots=True)
class Documented:
    """One documented answer of an operation."""

    status: int
    description: str
    media_type: str | None
    examples: Mapping[str, Any] = field(default_factory=dict)


def _documented(operation: Mapping[str, Any], document: Mapping[str, Any]) -> list[Documented]:
    answers = []
    for code, response in operation.get("responses", {}).items():
        if not code.isdigit():
            continue
        response = resolve(response, document)
        content = response.get("content", {})
        media = next(iter(content), None)
        examples = {}
        if media is not None:
            for name, example in content[media].get("examples", {}).items():
                examples[name] = resolve(example, document).get("value")
        answers.append(Documented(int(code), response.get("description", ""), media, examples))
    return answers


class Answers:
    """Every operation's documented answers, read once from the spec document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.by_operation: dict[str, list[Documented]] = {}
        for item in document.get("paths", {}).values():
            for operation in item.values():
                if isinstance(operation, dict) and "operationId" in operation:
                    self.by_operation[operation["operationId"]] = _documented(operation, document)

    def reply(self, operation_id: str, preference: Preference) -> Reply:
        """The documented answer `preference` picks; `ApiError(400)` naming the choices when
        the operation documents no such status or example."""
        answers = self.by_operation.get(operation_id, [])
        statuses = ", ".join(str(a.status) for a in answers)
        if preference.code is not None:
            answers = [a for a in answers if a.status == preference.code]
            if not answers:
                raise ApiError(
                    400,
                    f"Prefer: code={preference.code} is not documented for {operation_id}; "
                    f"it documents {statuses}.",
                )
        if preference.example is not None:
            for answer in answers:
                if preference.example in answer.examples:
                    return self._example(answer, answer.examples[preference.example])
            named = [f"{n} ({a.status})" for a in answers for n in a.examples]
            raise ApiError(
                400,
                f"Prefer: example={shown(preference.example)!r} is not a documented example of "
                f"{operation_id}"
                + (f" with status {preference.code}" if preference.code is not None else "")
                + "; "
                + (f"its examples: {', '.join(named)}." if named else "it has none."),
            )
        answer = answers[0]  # a status is documented once
        if answer.examples:
            return self._example(answer, next(iter(answer.examples.values())))
        if answer.status >= 400:
            return error_reply(
                answer.status,
                f"{answer.description.rstrip('.')} (the documented {answer.status}, chosen by "
                "Prefer; nothing was read or changed).",
            )
        raise ApiError(
            400,
            f"Prefer: code={answer.status}: {operation_id} documents no example for "
            f"{answer.status}; leave out Prefer to get a real answer.",
        )

    @staticmethod
    def _example(answer: Documented, value: Any) -> Reply:
        if answer.media_type is not None and answer.media_type.startswith("text/"):
            return Reply(answer.status, str(value).encode("utf-8"), TEXT)
        return Reply(answer.status, orjson.dumps(value), JSON)
