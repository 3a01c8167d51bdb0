"""Where the mock's encryption passphrase comes from (the format is `credkit_core.crypto`).

The passphrase comes from `--secret-key`, else `CREDKIT_SECRET_KEY`, else
`FLOWISE_SECRETKEY_OVERWRITE`, else a generated one (kept beside a state file when there is one).
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from credkit_core.errors import ConfigError, StateFileError

__all__ = ["generate_passphrase", "key_file_for", "resolve_passphrase"]


def generate_passphrase() -> str:
    """A random passphrase shaped like the real server's (24 random bytes, base64)."""
    return base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def key_file_for(state_file: Path) -> Path:
    """Where the generated passphrase of a state file is kept (mode 0600)."""
    return state_file.with_name(state_file.name + ".key")


def resolve_passphrase(
    secret_key: str | None, state_file: Path | None, environ: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """(passphrase, where it came from). Order: the option / CREDKIT_SECRET_KEY (already in
    `secret_key`), FLOWISE_SECRETKEY_OVERWRITE, the state file's key file, a new one."""
    env = os.environ if environ is None else environ
    if secret_key:
        return secret_key, "--secret-key"
    if env.get("FLOWISE_SECRETKEY_OVERWRITE"):
        overwrite = env["FLOWISE_SECRETKEY_OVERWRITE"]
        try:
            overwrite.encode("utf-8")
        except UnicodeEncodeError:
            raise ConfigError(
                "Environment variable FLOWISE_SECRETKEY_OVERWRITE is not valid UTF-8 text (the "
                "value is not shown). Set it to a passphrase in UTF-8, or unset it."
            ) from None
        return overwrite, "FLOWISE_SECRETKEY_OVERWRITE"
    if state_file is None:
        return generate_passphrase(), "generated"
    key_file = key_file_for(state_file)
    if key_file.exists():
        try:
            text = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise StateFileError(f"Cannot read the key file {key_file}: {exc.strerror}.") from exc
        except UnicodeDecodeError:  # its bytes are the passphrase: none of them is shown
            raise StateFileError(
                f"The key file {key_file} is not UTF-8 text; put the passphrase in it as text."
            ) from None
        if not text:
            raise StateFileError(
                f"The key file {key_file} is empty; delete it with its state file."
            )
        return text, str(key_file)
    passphrase = generate_passphrase()
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(passphrase + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise StateFileError(f"Cannot write the key file {key_file}: {exc.strerror}.") from exc
    return passphrase, f"generated, saved to {key_file}"
