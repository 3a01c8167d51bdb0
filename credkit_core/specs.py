"""Loading and validating OpenAPI documents (the bundled ones or a user's)."""

from __future__ import annotations

from pathlib import Path

from credkit_core.errors import SpecError
from credkit_core.resources import load_spec

__all__ = ["validate_document"]


def validate_document(path: Path) -> None:
    """Raise `SpecError` naming the first problem when `path` is not a valid OpenAPI document."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        document = load_spec(path)
    except (OSError, ValueError) as exc:
        raise SpecError(f"Cannot load {path}: {exc}") from exc
    try:
        validate(document)
    except OpenAPIValidationError as exc:
        where = "/".join(str(p) for p in exc.path) or "(document root)"
        raise SpecError(
            f"{path} is not a valid OpenAPI document at {where}: {exc.message}"
        ) from exc
