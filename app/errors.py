"""One exception root for driftmend; third-party errors are translated where they enter."""


class DriftmendError(Exception):
    """Root of every error driftmend raises on purpose."""


class ConfigError(DriftmendError):
    """Settings or arguments that cannot work."""


class DecodeError(DriftmendError):
    """A record's bytes cannot be decoded into a field mapping."""


class SchemaError(DriftmendError):
    """A schema cannot be inferred, read or applied."""


class SketchError(DriftmendError):
    """A sketch or profile cannot be built, merged or deserialized."""


class RepositoryError(DriftmendError):
    """The baseline repository (Redis) failed or holds no such baseline."""


class BaselineNotFoundError(RepositoryError):
    """No baseline is stored for the feed (or version) asked for."""


class KafkaError(DriftmendError):
    """The Kafka cluster refused or failed an operation."""


class IngestRestartError(KafkaError):
    """The ingest loop cannot go on with its clients, but a fresh start from the committed
    offsets can (the worker does that in-process)."""


class PartitionsLostError(IngestRestartError):
    """The consumer group dropped this worker (its session expired, e.g. while the broker
    restarted): what it holds is no longer its own."""


class TransactionStuckError(IngestRestartError):
    """A transaction call did not return within its timeout (librdkafka can block past it
    while the group coordinator is away): the producer is abandoned."""


class DataSourceError(DriftmendError):
    """A file or topic to read records from is missing or unreadable."""


class ModelError(DriftmendError):
    """A synthetic-data model cannot be trained, sampled or steered as asked."""


class ArtifactError(ModelError):
    """A stored model artifact is missing, unknown, tampered with or does not fit."""


class NotFoundError(DriftmendError):
    """An unknown feed, version or model asked for through the REST API."""
