"""What the suite needs to run hypothesis in several threads at once."""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["serial_ast"]


@contextmanager
def serial_ast() -> Iterator[None]:
    """`ast.parse` one thread at a time while threads of the suite run hypothesis
    (the model's lanes, schemathesis' workers). CPython before 3.12.1 keeps the AST
    converter's recursion depth in shared state (gh-106905), and hypothesis parses source
    (lambda descriptions, pretty-printed steps, constants) from every lane: concurrently that
    fails with "SystemError: AST constructor recursion depth mismatch"."""
    original = ast.parse
    lock = threading.Lock()

    def parse(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(*args, **kwargs)

    ast.parse = parse
    try:
        yield
    finally:
        ast.parse = original
