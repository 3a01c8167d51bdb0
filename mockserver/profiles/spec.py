"""The `spec` profile: the request pipeline that follows contract.md to the letter.

The checks run in the contract's order (404/405 → 401 → 403 → 412 → 415 → 400 → the handler,
whose 404 is "not in the key's workspace"); a `Prefer: code=NNN` / `example=NAME` header
(`mockserver.prefer`) replaces the body checks and the handler with a documented answer; 413
happens earlier, while the body streams in (`mockserver.requests.read_body`). Each operation's
handler is the method of `SpecOperations` named by the spec's operationId in snake_case
(`Operation.handler`). Every answer is checked
against the spec at run time unless `Config.validate_responses` is off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import orjson

from mockserver.prefer import Answers, parse_prefer
from mockserver.profiles.spec_ops import SpecOperations
from mockserver.requests import Call
from mockserver.responses import JSON, ApiError, Reply, error_reply, shown
from mockserver.routing import Operation
from mockserver.runtime import Runtime
from mockserver.space import Space
from mockserver.validation import body_is_empty, is_json_media_type, parse_body, validate_body

__all__ = ["SpecProfile"]

log = logging.getLogger("credkit")

Handler = Callable[[Call, Space], Reply]


class SpecProfile:
    """The `spec` profile (contract.md): route, authenticate, check the body, run the handler."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.routes = runtime.routes
        self.operations = SpecOperations(runtime)
        self.answers = Answers(runtime.document)
        self.validate_responses = runtime.config.validate_responses
        self.handlers: dict[str, Handler] = {}
        for operation_id, operation in self.routes.by_operation_id.items():
            handler = getattr(self.operations, operation.handler, None)
            if handler is None:
                raise NotImplementedError(f"No handler for operation {operation_id!r}.")
            self.handlers[operation_id] = handler

    # -- the pipeline, step by step ---------------------------------------------------------

    def route(self, call: Call) -> Operation:
        found = self.routes.match(call.path)
        if found is None:
            raise ApiError(404, f"No route {shown(call.path)}.")
        route, params = found
        operation = route.operations.get(call.method)
        if operation is None:
            raise ApiError(
                405,
                f"Method {call.method} is not allowed on {route.template}; allowed: {route.allow}.",
                ((b"allow", route.allow.encode("ascii")),),
            )
        call.params = params
        return operation

    def authenticate(self, call: Call, operation: Operation, space: Space) -> None:
        if operation.needs_auth:
            keyring = space.keyring
            key = keyring.authenticate(call.headers.get(b"authorization"))
            keyring.authorize(key, operation.permission)
            call.key = key

    def read_body(self, call: Call, operation: Operation) -> None:
        if not operation.media_types:
            return
        if body_is_empty(call.body):
            if operation.body_required:
                raise ApiError(412, "Request body is required and was not provided.")
            return
        if not is_json_media_type(call.headers.get(b"content-type")):
            raise ApiError(415, "Content-Type must be application/json.")
        call.json = parse_body(call.body)
        validate_body(operation, call.json)

    def handle(self, call: Call, space: Space) -> Reply:
        """Run every check in the contract's order, then the operation's handler."""
        try:
            operation = self.route(call)
            call.operation = operation
            self.authenticate(call, operation, space)
            try:
                preference = parse_prefer(call.headers.get(b"prefer"))
                if preference is not None:  # a documented answer, chosen; nothing read or changed
                    reply = self.answers.reply(operation.operation_id, preference)
            except ApiError as exc:
                # A refused Prefer is about the mock itself, not the API: like an injected fault
                # it is answered as is (400 is not documented on every operation).
                return exc.reply()
            if preference is None:
                self.read_body(call, operation)
                reply = self.handlers[operation.operation_id](call, space)
        except ApiError as exc:
            reply = exc.reply()
        if call.operation is not None and self.validate_responses:
            return self.check_reply(call.operation, reply)
        return reply

    def check_reply(self, operation: Operation, reply: Reply) -> Reply:
        """`reply` when the spec documents it for `operation`; else a 500 naming the breach.

        A breach is a bug in the mock: it is logged by status and schema location only (never a
        value) and answered loudly, so it cannot pass unnoticed into a client's tests."""
        problem = None
        validator = operation.response_validators.get(reply.status)
        if reply.status not in operation.statuses:
            problem = f"status {reply.status} is not documented"
        elif validator is not None:
            if reply.content_type != JSON:
                problem = "the content type is not application/json"
            else:
                error = next(validator.iter_errors(orjson.loads(reply.body)), None)
                if error is not None:
                    where = "/".join(str(p) for p in error.instance_path) or "(body)"
                    problem = f"{where} breaks the schema ({type(error.kind).__name__})"
        if problem is None:
            return reply
        log.error("Response of %s broke the spec: %s.", operation.operation_id, problem)
        return error_reply(
            500,
            f"The mock's answer to {operation.operation_id} broke the spec: {problem}. This is "
            "a credkit bug; please report it (or run with --no-validate-responses).",
        )
