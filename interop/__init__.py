"""Interoperability harnesses: credkit run against real implementations of the credentials API.

Nothing here runs in the default test suite; each harness installs and starts a real server.
"""

__all__: list[str] = []
