"""The one frozen settings object. Environment prefix ``DRIFTMEND_``; ``.env`` is read too.

``KAFKA_BOOTSTRAP_SERVERS`` and ``REDIS_URL`` (unprefixed, the common names) are honoured as
fallbacks so the app attaches to services an operator already runs.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.cores import available_cores
from app.errors import ConfigError


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DRIFTMEND_", env_file=".env", frozen=True, extra="ignore"
    )

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "DRIFTMEND_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_ca_location: Path | None = None
    kafka_ssl_certificate_location: Path | None = None  # mTLS: the client certificate
    kafka_ssl_key_location: Path | None = None  # mTLS: its private key
    kafka_ssl_key_password: SecretStr | None = None
    kafka_ssl_endpoint_identification: bool = True  # check the broker's host name
    redis_url: SecretStr = Field(  # rediss:// for TLS; redis://user:password@... for ACLs
        default=SecretStr("redis://127.0.0.1:6379/0"),
        validation_alias=AliasChoices("DRIFTMEND_REDIS_URL", "REDIS_URL"),
    )
    redis_ssl_ca_certs: Path | None = None  # the CA that signed the server's certificate
    redis_ssl_certfile: Path | None = None  # client certificate (Redis tls-auth-clients)
    redis_ssl_keyfile: Path | None = None

    drift_events_topic: str = "driftmend.drift-events"
    dlq_topic: str = "driftmend.dlq"
    window_profiles_topic: str = "driftmend.window-profiles"
    topics_dir: Path = Path(__file__).resolve().parent.parent / "topics"
    schemas_dir: Path = Path(__file__).resolve().parent.parent / "schemas"
    state_dir: Path = Path(".state/worker")

    window_records: int | None = Field(default=None, gt=0)
    window_seconds: float | None = Field(default=None, gt=0)
    window_grace_seconds: float = Field(default=10.0, gt=0)
    batch_size: int = Field(default=10_000, gt=0)
    # processes that decode and sketch, each for its share of the partitions (default: 2,
    # or 1 where the worker may use one core only: CPU affinity, container CPU limit)
    profilers: int = Field(default_factory=lambda: min(2, available_cores()), ge=1, le=64)
    metrics_port: int = Field(default=9108, ge=0, le=65535)
    web_port: int = Field(default=6066, ge=0, le=65535)  # REST API (faust web); 0: off
    web_bind: str = "0.0.0.0"
    max_record_bytes: int = Field(default=1_048_576, gt=0)  # larger values go to the DLQ
    # how the records written to the output topic are compressed (the producer's
    # compression.type; the input's own compression is not kept)
    output_compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = "lz4"
    # delivery: exactly-once (Kafka transactions, offsets committed with the output) or
    # at-least-once (offsets committed after the output is acknowledged)
    exactly_once: bool = True
    transaction_interval_seconds: float = Field(default=0.5, gt=0)
    transaction_timeout_seconds: float = Field(default=10.0, ge=1)
    # names this worker's transactional id (driftmend-{feed}-{instance}): keep it stable
    # across restarts and unique per worker, e.g. the pod or host name
    instance_id: str = Field(default_factory=socket.gethostname, min_length=1)
    # a worker that dies gives up its partitions after this long without heartbeats
    kafka_session_timeout_seconds: float = Field(default=10.0, ge=6, le=300)
    adwin_delta: float = Field(default=1e-4, gt=0, lt=1)
    adwin_chunk: int = Field(default=100, gt=0)
    seed: int = 0

    synth_budget_seconds: float = Field(default=30.0, gt=0)  # model training per baseline
    synth_epochs: int = Field(default=300, gt=0)
    synth_threads: int = Field(default=2, gt=0)  # torch threads (the cores are shared)
    synth_device: str | None = None  # None: CUDA when present, else CPU

    # self-healing: injection (synthetic records per real record in the output)
    alerts_topic: str = "driftmend.alerts"
    verdicts_topic: str = "driftmend.verdicts"
    baselines_topic: str = "driftmend.baselines"
    inject_enabled: bool = True
    inject_smoothing: float = Field(default=1.0, ge=0)  # medium: rate = score x smoothing
    inject_max_rate: float = Field(default=1.0, ge=0, le=10)  # synthetic per real, at most
    inject_ramp_windows: int = Field(default=4, gt=0)  # alpha 0 -> 1 over this many windows
    inject_decay: float = Field(default=0.5, gt=0, lt=1)  # rate x decay per calm window
    inject_min_rate: float = Field(default=0.02, ge=0)  # below this, injection stops
    inject_step_psi: float = Field(default=0.1, gt=0)  # a window-to-window step that resets alpha
    hold_output: bool = True  # hold a window's records until its verdict (<= one window)
    # reading a backlog, partitions ahead of the oldest held window pause at this many held;
    # the client reads partitions up to ~1 MiB apart, so small records sit held by the
    # hundred thousand before any pause is needed (README, Back-pressure)
    hold_max_records: int = Field(default=400_000, gt=0)
    # a window without a verdict after this long goes out anyway (None: 3 x the grace period,
    # plus the window length for time windows)
    hold_seconds: float | None = Field(default=None, gt=0)
    # a (re)started worker reads the verdicts of this long ago: windows it reads again that
    # were already decided go out at once instead of waiting for a verdict that came before
    verdict_lookback_seconds: float = Field(default=600.0, ge=0)
    # a feed's aggregator group, the first time it starts, reads the window-profiles topic
    # (shared by all feeds) from this long ago, not from its start (app.kafka.group_start)
    profiles_lookback_seconds: float = Field(default=600.0, ge=0)

    # self-healing: retraining
    retrain_enabled: bool = True
    retrain_cooldown_seconds: float = Field(default=60.0, ge=0)
    retrain_weight_historical: float = Field(default=0.2, ge=0)
    retrain_weight_current: float = Field(default=0.7, ge=0)
    retrain_weight_injected: float = Field(default=0.1, ge=0)
    profile_weight_historical: float = Field(default=0.9, ge=0)  # low drift: profile update
    profile_weight_current: float = Field(default=0.1, ge=0)
    retrain_current_records: int = Field(default=20_000, gt=0)  # read back from the input
    retrain_budget_seconds: float = Field(default=20.0, gt=0)
    challenger_margin: float = Field(default=0.05, ge=0, le=1)  # allowed loss on baseline data

    @model_validator(mode="after")
    def _mtls_pairs(self) -> Settings:
        cert, key = self.kafka_ssl_certificate_location, self.kafka_ssl_key_location
        if (cert is None) != (key is None):
            raise ValueError("mTLS needs both kafka_ssl_certificate_location and _key_location")
        if (self.redis_ssl_certfile is None) != (self.redis_ssl_keyfile is None):
            raise ValueError("Redis client TLS needs both redis_ssl_certfile and _keyfile")
        return self

    @model_validator(mode="after")
    def _one_window_kind(self) -> Settings:
        if self.window_records is not None and self.window_seconds is not None:
            raise ValueError("set either window_records or window_seconds, not both")
        if self.transaction_interval_seconds >= self.transaction_timeout_seconds:
            raise ValueError("transaction_interval_seconds must be below the transaction timeout")
        if self.inject_min_rate > self.inject_max_rate:
            raise ValueError("inject_min_rate must not exceed inject_max_rate")
        weights = (
            self.retrain_weight_historical,
            self.retrain_weight_current,
            self.retrain_weight_injected,
        )
        if sum(weights) <= 0:
            raise ValueError("the retrain weights must not all be zero")
        return self

    def window_size_records(self) -> int | None:
        if self.window_records is None and self.window_seconds is None:
            return 10_000
        return self.window_records

    def topic_names(self) -> dict[str, str]:
        """driftmend's topics as configured, by the stem of their definition in
        ``topics/`` (``dlq`` for ``topics/dlq.yaml``)."""
        return {
            "alerts": self.alerts_topic,
            "baselines": self.baselines_topic,
            "dlq": self.dlq_topic,
            "drift-events": self.drift_events_topic,
            "verdicts": self.verdicts_topic,
            "window-profiles": self.window_profiles_topic,
        }

    def kafka_config(self) -> dict[str, str | int | float | bool]:
        """librdkafka client properties shared by every producer, consumer and admin client."""
        conf: dict[str, str | int | float | bool] = {
            "bootstrap.servers": self.kafka_bootstrap_servers,
            "security.protocol": self.kafka_security_protocol,
        }
        if self.kafka_sasl_mechanism:
            conf["sasl.mechanism"] = self.kafka_sasl_mechanism
        if self.kafka_sasl_username:
            conf["sasl.username"] = self.kafka_sasl_username
        if self.kafka_sasl_password:
            conf["sasl.password"] = self.kafka_sasl_password.get_secret_value()
        if self.kafka_ssl_ca_location:
            conf["ssl.ca.location"] = str(self.kafka_ssl_ca_location)
        if self.kafka_ssl_certificate_location:
            conf["ssl.certificate.location"] = str(self.kafka_ssl_certificate_location)
        if self.kafka_ssl_key_location:
            conf["ssl.key.location"] = str(self.kafka_ssl_key_location)
        if self.kafka_ssl_key_password:
            conf["ssl.key.password"] = self.kafka_ssl_key_password.get_secret_value()
        if not self.kafka_ssl_endpoint_identification:
            conf["ssl.endpoint.identification.algorithm"] = "none"
        return conf


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides; one clear error if invalid."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
