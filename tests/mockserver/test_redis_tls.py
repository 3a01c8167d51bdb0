"""`--store rediss://...`: the shared store over TLS, against a real `redis-server` that
listens with TLS only (a certificate made for the test)."""

from __future__ import annotations

import datetime
from ipaddress import ip_address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from credkit_core.errors import ConfigError
from tests.mockserver.conftest import FULL, Client, app_factory
from tests.redisserver import RedisServer

CRED = "/api/v1/credentials/cred-789"


def make_certificate(directory: Path, name: str = "127.0.0.1") -> Path:
    """A self-signed certificate for `name` (an IP address) and its key, in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ip_address(name))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return directory


@pytest.fixture
def tls_server(tmp_path: Path) -> RedisServer:
    server = RedisServer(tmp_path, tls=make_certificate(tmp_path / "tls"))
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


def test_two_processes_share_the_store_over_tls(tls_server: RedisServer) -> None:
    make = app_factory(tls_server.url)
    one, two = Client(make(access_log=False)), Client(make(access_log=False))
    try:
        put = one.put(CRED, json={"plainDataObj": {"openAIApiKey": "sk-over-tls"}}, headers=FULL)
        assert put.status_code == 200, put.text
        got = two.get(CRED, headers=FULL)
        assert got.status_code == 200 and got.json()["updatedDate"] == put.json()["updatedDate"]
    finally:
        one.close()
        two.close()
    raw = tls_server.client()
    stored = raw.hget("credkit:{default}:creds", "cred-789")
    raw.close()
    assert stored is not None and b"sk-over-tls" not in stored  # ciphertext only, over TLS too


def test_a_certificate_the_client_does_not_trust_is_a_clear_start_error(
    tls_server: RedisServer, tmp_path: Path
) -> None:
    other = make_certificate(tmp_path / "other")  # a CA that did not sign the server's
    url = tls_server.url.split("?")[0] + f"?ssl_ca_certs={other / 'cert.pem'}"
    with pytest.raises(ConfigError) as refused:
        app_factory(url)(access_log=False)  # what `credkit serve` runs before it listens
    message = str(refused.value)
    assert message.startswith("Cannot reach the store at rediss://127.0.0.1:")
    assert "certificate" in message.lower() and "--store" in message
