"""Reaching the brokers: one early check with a clear message.

librdkafka reports a refused login or a TLS failure through its error callback and fails
the request itself with a generic transport error; :func:`check_connection` puts the two
together so a wrong password or an unknown CA is named at start-up.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from confluent_kafka import KafkaError as LibKafkaError
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from app.errors import KafkaError
from app.settings import Settings


def check_connection(settings: Settings, timeout: float = 15.0) -> None:
    """Raise :class:`KafkaError` naming the cause when the brokers cannot be used."""
    reported: deque[str] = deque(maxlen=3)

    def on_error(err: LibKafkaError) -> None:
        reported.append(err.str())

    config: dict[str, Any] = {**settings.kafka_config(), "error_cb": on_error}
    admin = AdminClient(config)
    try:
        admin.list_topics(timeout=timeout)
    except KafkaException as exc:
        admin.poll(1.0)  # serves the error callbacks queued meanwhile
        causes = [r for r in reported if "uthenticat" in r or "SSL" in r] or list(reported)
        cause = causes[-1] if causes else str(exc)
        raise KafkaError(
            f"cannot use Kafka at {settings.kafka_bootstrap_servers} "
            f"({settings.kafka_security_protocol}): {cause}"
        ) from exc
