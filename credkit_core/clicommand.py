"""The click command class both `credkit serve` and `credkit verify`/`fuzz` use."""

from __future__ import annotations

import click

__all__ = ["OneLineErrors"]


class OneLineErrors(click.Command):
    """Usage errors (a bad option value, an unknown option) as one line, `Error: ...`, exit 2,
    like every other error of the command: in a CI log the usage text only hides the cause."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = None  # show() prints the usage and the --help hint only with a context
            raise
