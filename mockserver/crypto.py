"""`encryptedData` in the real server's format: OpenSSL "Salted__" AES-256-CBC.

crypto-js `AES.encrypt(text, passphrase)` and `openssl enc -aes-256-cbc -a -A -md md5` both
write base64("Salted__" + 8-byte salt + ciphertext), with key and IV from EVP_BytesToKey(MD5,
one iteration) over passphrase + salt, and PKCS#7 padding. Every value starts `U2FsdGVkX1`.

The passphrase comes from `--secret-key`, else `CREDKIT_SECRET_KEY`, else
`FLOWISE_SECRETKEY_OVERWRITE`, else a generated one (kept beside a state file when there is one).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from mockserver.errors import StateFileError

__all__ = [
    "CryptoError",
    "Encryptor",
    "decrypt",
    "encrypt",
    "evp_bytes_to_key",
    "generate_passphrase",
    "key_file_for",
    "resolve_passphrase",
]

MAGIC = b"Salted__"


class CryptoError(ValueError):
    """A value is not OpenSSL "Salted__" data, or the passphrase does not open it."""


def evp_bytes_to_key(
    passphrase: bytes, salt: bytes, key_len: int = 32, iv_len: int = 16
) -> tuple[bytes, bytes]:
    """OpenSSL's EVP_BytesToKey with MD5 and one iteration (what crypto-js uses)."""
    secret = passphrase + salt
    block = hashlib.md5(secret).digest()
    derived = block
    while len(derived) < key_len + iv_len:
        block = hashlib.md5(block + secret).digest()
        derived += block
    return derived[:key_len], derived[key_len : key_len + iv_len]


def encrypt(plaintext: str, passphrase: str, *, salt: bytes | None = None) -> str:
    """base64("Salted__" + salt + AES-256-CBC(plaintext)) with a fresh random salt."""
    salt = os.urandom(8) if salt is None else salt
    key, iv = evp_bytes_to_key(passphrase.encode("utf-8"), salt)
    data = plaintext.encode("utf-8")
    pad = 16 - len(data) % 16  # PKCS#7
    data += bytes((pad,)) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    body = encryptor.update(data) + encryptor.finalize()
    return base64.b64encode(MAGIC + salt + body).decode("ascii")


def decrypt(value: str, passphrase: str) -> str:
    """The text inside an OpenSSL "Salted__" base64 value; `CryptoError` when it cannot."""
    try:
        raw = base64.b64decode(value.strip(), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("not base64") from exc
    if not raw.startswith(MAGIC) or len(raw) < 32 or (len(raw) - 16) % 16:
        raise CryptoError('not OpenSSL "Salted__" data')
    key, iv = evp_bytes_to_key(passphrase.encode("utf-8"), raw[8:16])
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(raw[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        data = unpadder.update(padded) + unpadder.finalize()
        return data.decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise CryptoError("wrong passphrase or damaged data") from exc


class Encryptor:
    """Encrypts and decrypts with one passphrase (kept out of `repr`)."""

    __slots__ = ("_passphrase",)

    def __init__(self, passphrase: str) -> None:
        self._passphrase = passphrase

    def __repr__(self) -> str:
        return "Encryptor(passphrase=***)"

    def encrypt(self, plaintext: str) -> str:
        return encrypt(plaintext, self._passphrase)

    def decrypt(self, value: str) -> str:
        return decrypt(value, self._passphrase)


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
        return env["FLOWISE_SECRETKEY_OVERWRITE"], "FLOWISE_SECRETKEY_OVERWRITE"
    if state_file is None:
        return generate_passphrase(), "generated"
    key_file = key_file_for(state_file)
    if key_file.exists():
        try:
            text = key_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise StateFileError(f"Cannot read the key file {key_file}: {exc}.") from exc
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
