"""Pick a codec from the worker's options."""

from __future__ import annotations

from pathlib import Path

from app.codecs.avro import AvroCodec
from app.codecs.base import Codec
from app.codecs.confluent import ConfluentAvroCodec, LocalSchemaRegistry, RegistryClient
from app.codecs.json import JsonCodec
from app.errors import ConfigError


def make_codec(
    fmt: str,
    avro_schema: Path | None = None,
    registry_url: str | None = None,
    registry_dir: Path | None = None,
) -> Codec:
    if fmt == "json":
        return JsonCodec()
    if fmt == "avro":
        if avro_schema is None:
            raise ConfigError("--format avro needs --avro-schema PATH.avsc")
        return AvroCodec.from_file(avro_schema)
    if fmt == "confluent-avro":
        if registry_url:
            return ConfluentAvroCodec(RegistryClient(registry_url))
        if registry_dir is None:
            raise ConfigError("--format confluent-avro needs --registry-url or --registry-dir")
        return ConfluentAvroCodec(LocalSchemaRegistry(registry_dir))
    raise ConfigError(f"unknown format {fmt!r}: use json, avro or confluent-avro")
