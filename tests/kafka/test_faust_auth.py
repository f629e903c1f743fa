"""The faust app gets the same Kafka security as the librdkafka clients."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import faust
import pytest
from faust.types.auth import AuthProtocol
from pydantic import SecretStr

from app.errors import ConfigError
from app.kafka.faust_auth import faust_credentials
from app.settings import Settings


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "client.crt", folder / "client.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=driftmend-client", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_plaintext_needs_no_credentials() -> None:
    assert faust_credentials(Settings()) is None


def test_sasl_scram_over_tls() -> None:
    creds = faust_credentials(
        Settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="app",
            kafka_sasl_password=SecretStr("pw"),
        )
    )
    assert isinstance(creds, faust.SASLCredentials)
    assert creds.protocol == AuthProtocol.SASL_SSL
    assert (creds.username, creds.password, creds.mechanism.value) == ("app", "pw", "SCRAM-SHA-512")
    assert isinstance(creds.ssl_context, ssl.SSLContext) and creds.ssl_context.check_hostname


def test_sasl_plaintext_has_no_tls() -> None:
    creds = faust_credentials(
        Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="u")
    )
    assert isinstance(creds, faust.SASLCredentials)
    assert creds.protocol == AuthProtocol.SASL_PLAINTEXT and creds.ssl_context is None


def test_mtls_loads_the_client_certificate(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    creds = faust_credentials(
        Settings(
            kafka_security_protocol="SSL",
            kafka_ssl_ca_location=cert,
            kafka_ssl_certificate_location=cert,
            kafka_ssl_key_location=key,
            kafka_ssl_endpoint_identification=False,
        )
    )
    assert isinstance(creds, faust.SSLCredentials)
    assert creds.context.check_hostname is False


def test_unreadable_tls_files_are_one_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    settings = Settings(
        kafka_security_protocol="SSL",
        kafka_ssl_certificate_location=missing,
        kafka_ssl_key_location=missing,
    )
    with pytest.raises(ConfigError, match="Kafka TLS files"):
        faust_credentials(settings)
