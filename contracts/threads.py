"""What the suite needs to run hypothesis in several threads at once."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["serial_ast"]

_PARSE_LOCK = threading.Lock()  # one ast.parse at a time, across every user of serial_ast
_USERS_LOCK = threading.Lock()
_users = 0
_original = ast.parse


def _parse(*args: Any, **kwargs: Any) -> Any:
    with _PARSE_LOCK:
        return _original(*args, **kwargs)


@contextmanager
def serial_ast() -> Iterator[None]:
    """`ast.parse` one thread at a time while threads of the suite run hypothesis (the model's
    lanes, schemathesis beside them). CPython before 3.12.1 keeps the AST converter's recursion
    depth in shared state (gh-106905), and hypothesis parses source (lambda descriptions,
    pretty-printed steps, constants) from every thread: concurrently that fails with
    "SystemError: AST constructor recursion depth mismatch". Counted, not nested: the model's
    lanes and the schemathesis thread enter and leave in any order, and `ast.parse` is the
    original again only when the last one leaves."""
    global _users
    with _USERS_LOCK:
        _users += 1
        ast.parse = _parse
    try:
        yield
    finally:
        with _USERS_LOCK:
            _users -= 1
            if _users == 0:
                ast.parse = _original
