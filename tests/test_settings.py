"""The one settings object: Kafka security passed through, secrets never shown, clear errors."""

from __future__ import annotations

import pytest

from app.errors import ConfigError
from app.settings import load_settings


def test_sasl_ssl_and_mtls_reach_librdkafka() -> None:
    s = load_settings(
        kafka_bootstrap_servers="b1:9093,b2:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="driftmend",
        kafka_sasl_password="s3cret",
        kafka_ssl_ca_location="/etc/ca.pem",
        kafka_ssl_certificate_location="/etc/client.pem",
        kafka_ssl_key_location="/etc/client.key",
        kafka_ssl_key_password="k3y",
    )
    assert s.kafka_config() == {
        "bootstrap.servers": "b1:9093,b2:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "driftmend",
        "sasl.password": "s3cret",
        "ssl.ca.location": "/etc/ca.pem",
        "ssl.certificate.location": "/etc/client.pem",
        "ssl.key.location": "/etc/client.key",
        "ssl.key.password": "k3y",
    }


def test_secrets_are_never_printed() -> None:
    s = load_settings(
        kafka_sasl_password="s3cret",
        kafka_ssl_key_password="k3y",
        redis_url="redis://:hunter2@redis:6379/0",
    )
    shown = repr(s) + str(s) + s.model_dump_json()
    assert "s3cret" not in shown and "k3y" not in shown and "hunter2" not in shown


def test_common_env_names_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "elsewhere:9092")
    monkeypatch.setenv("REDIS_URL", "rediss://redis.example:6380/1")
    s = load_settings()
    assert s.kafka_bootstrap_servers == "elsewhere:9092"
    assert s.redis_url.get_secret_value() == "rediss://redis.example:6380/1"


def test_output_compression_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIFTMEND_OUTPUT_COMPRESSION", raising=False)
    assert load_settings().output_compression == "lz4"
    monkeypatch.setenv("DRIFTMEND_OUTPUT_COMPRESSION", "none")
    assert load_settings().output_compression == "none"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kafka_security_protocol": "TLS"}, "kafka_security_protocol"),
        ({"kafka_ssl_certificate_location": "/c.pem"}, "mTLS needs both"),
        ({"window_records": 10, "window_seconds": 1.0}, "either window_records"),
        ({"inject_max_rate": 0.01, "inject_min_rate": 0.5}, "inject_min_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"output_compression": "brotli"}, "output_compression"),
    ],
)
def test_bad_settings_are_one_clear_error(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(**overrides)
