"""Reading `encryptedData`: OpenSSL "Salted__" AES-256-CBC with EVP_BytesToKey (MD5).

The same format as crypto-js `AES.encrypt(text, passphrase)` and
`openssl enc -aes-256-cbc -a -A -md md5 -pass pass:KEY`. Only decryption lives here: the suite
reads what the server wrote; it never writes ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["PREFIX", "decode_salted", "decrypt", "decrypt_json", "evp_bytes_to_key"]

PREFIX = "U2FsdGVkX1"  # base64 of b"Salted__" (first 7.5 bytes)
_MAGIC = b"Salted__"


def evp_bytes_to_key(
    passphrase: bytes, salt: bytes, key_len: int = 32, iv_len: int = 16
) -> tuple[bytes, bytes]:
    """OpenSSL's EVP_BytesToKey with MD5 and one iteration."""
    derived = b""
    block = b""
    while len(derived) < key_len + iv_len:
        block = hashlib.md5(block + passphrase + salt).digest()
        derived += block
    return derived[:key_len], derived[key_len : key_len + iv_len]


def decode_salted(value: str) -> tuple[bytes, bytes]:
    """(salt, ciphertext) of a Salted__ value, or ValueError saying what is wrong with it."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not valid base64") from exc
    if not raw.startswith(_MAGIC):
        raise ValueError("does not start with the OpenSSL 'Salted__' header")
    salt, body = raw[8:16], raw[16:]
    if len(salt) != 8 or not body or len(body) % 16:
        raise ValueError("ciphertext is not whole AES blocks after an 8-byte salt")
    return salt, body


def decrypt(value: str, passphrase: str) -> bytes:
    """The plaintext of a Salted__ value; ValueError when it does not decrypt."""
    salt, body = decode_salted(value)
    key, iv = evp_bytes_to_key(passphrase.encode(), salt)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(body) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise ValueError("bad padding: wrong passphrase?") from exc


def decrypt_json(value: str, passphrase: str) -> dict[str, Any]:
    """The JSON object a Salted__ value holds; ValueError otherwise."""
    plain = decrypt(value, passphrase)
    try:
        data = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError("plaintext is not UTF-8 JSON: wrong passphrase?") from exc
    if not isinstance(data, dict):
        raise ValueError(f"plaintext is JSON {type(data).__name__}, not an object")
    return data
