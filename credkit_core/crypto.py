"""`encryptedData` in the real server's format: OpenSSL "Salted__" AES-256-CBC.

crypto-js `AES.encrypt(text, passphrase)` and `openssl enc -aes-256-cbc -a -A -md md5` both
write base64("Salted__" + 8-byte salt + ciphertext), with key and IV from EVP_BytesToKey(MD5,
one iteration) over passphrase + salt, and PKCS#7 padding. Every value starts `U2FsdGVkX1`.

The mock encrypts with it; the contract suite and the interop harness decrypt with it. This is
the only implementation in credkit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "PREFIX",
    "CryptoError",
    "Encryptor",
    "decode_salted",
    "decrypt",
    "decrypt_json",
    "encrypt",
    "evp_bytes_to_key",
]

PREFIX = "U2FsdGVkX1"  # base64 of b"Salted__" (its first 7.5 bytes)
MAGIC = b"Salted__"
_PADS = [bytes((n,)) * n for n in range(17)]
md5 = hashlib.md5
b64encode = base64.b64encode


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


def decode_salted(value: str) -> tuple[bytes, bytes]:
    """(salt, ciphertext) of a Salted__ value; `CryptoError` saying what is wrong with it."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("not valid base64") from exc
    if not raw.startswith(MAGIC):
        raise CryptoError("does not start with the OpenSSL 'Salted__' header")
    salt, body = raw[8:16], raw[16:]
    if len(salt) != 8 or not body or len(body) % 16:
        raise CryptoError("ciphertext is not whole AES blocks after an 8-byte salt")
    return salt, body


def decrypt(value: str, passphrase: str) -> str:
    """The text inside a Salted__ value (surrounding whitespace ignored); `CryptoError` when
    it is not one or the passphrase does not open it."""
    salt, body = decode_salted(value.strip())
    key, iv = evp_bytes_to_key(passphrase.encode("utf-8"), salt)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(body) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise CryptoError("wrong passphrase or damaged data (bad padding or not UTF-8)") from exc


def decrypt_json(value: str, passphrase: str) -> dict[str, Any]:
    """The JSON object a Salted__ value holds; `CryptoError` otherwise."""
    plain = decrypt(value, passphrase)
    try:
        data = json.loads(plain)
    except ValueError as exc:
        raise CryptoError("plaintext is not JSON: wrong passphrase?") from exc
    if not isinstance(data, dict):
        raise CryptoError(f"plaintext is JSON {type(data).__name__}, not an object")
    return data


class Encryptor:
    """Encrypts and decrypts with one passphrase (kept out of `repr`)."""

    __slots__ = ("_passphrase",)

    def __init__(self, passphrase: str) -> None:
        self._passphrase = passphrase

    def __repr__(self) -> str:
        return "Encryptor(passphrase=***)"

    def encrypt(self, plaintext: str) -> str:
        """`encrypt(plaintext, passphrase)`, inlined: it runs on every write of the mock."""
        salt = os.urandom(8)
        secret = self._passphrase.encode("utf-8") + salt
        block = md5(secret).digest()
        second = md5(block + secret).digest()
        key = block + second  # 32 bytes; the IV is the third block
        iv = md5(second + secret).digest()
        data = plaintext.encode("utf-8")
        pad = 16 - len(data) % 16  # PKCS#7
        encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        body = encryptor.update(data + _PADS[pad]) + encryptor.finalize()
        return b64encode(MAGIC + salt + body).decode("ascii")

    def decrypt(self, value: str) -> str:
        return decrypt(value, self._passphrase)
