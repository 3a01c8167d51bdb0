"""The `credkit` command: the mock's `serve`, the suite's `verify` and `fuzz`, and the `spec`
and `fixtures` tools, in one click group. It sits on top of `mockserver` and `contracts`;
nothing imports it."""

from credkit_cli.main import cli, main

__all__ = ["cli", "main"]
