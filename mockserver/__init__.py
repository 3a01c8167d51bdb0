"""credkit's mock server: a stateful, spec-driven stand-in for the Flowise credentials API."""

__version__ = "0.1.0"

__all__ = ["__version__"]
