"""credkit's mock server: a stateful, spec-driven stand-in for the Flowise credentials API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from credkit_core import __version__

__all__ = ["__version__", "run"]

if TYPE_CHECKING:
    from mockserver.config import Config


def run(config: Config) -> None:
    """Serve the mock with `config` until interrupted (see `mockserver.server.run`)."""
    from mockserver.server import run as _run

    _run(config)
