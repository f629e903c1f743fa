"""The Kafka security settings for the faust app (aiokafka), the same as every librdkafka
client gets from :meth:`Settings.kafka_config`: TLS (CA, client certificate for mTLS, host
name check) and SASL (PLAIN, SCRAM-SHA-256/512)."""

from __future__ import annotations

import ssl

import faust
from faust.types.auth import CredentialsT

from app.errors import ConfigError
from app.settings import Settings


def faust_credentials(settings: Settings) -> CredentialsT | None:
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = _ssl_context(settings) if protocol in ("SSL", "SASL_SSL") else None
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    password = settings.kafka_sasl_password
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=password.get_secret_value() if password else None,
        ssl_context=context,
        mechanism=settings.kafka_sasl_mechanism or "PLAIN",
    )


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    ca = settings.kafka_ssl_ca_location
    try:
        context = ssl.create_default_context(cafile=str(ca) if ca else None)
        cert, key = settings.kafka_ssl_certificate_location, settings.kafka_ssl_key_location
        if cert is not None and key is not None:
            secret = settings.kafka_ssl_key_password
            context.load_cert_chain(
                str(cert), str(key), password=secret.get_secret_value() if secret else None
            )
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the Kafka TLS files: {exc}") from exc
    if not settings.kafka_ssl_endpoint_identification:
        context.check_hostname = False
    return context
