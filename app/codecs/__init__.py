"""Record codecs: bytes on the wire <-> field mappings."""

from app.codecs.avro import AvroCodec
from app.codecs.base import Codec
from app.codecs.confluent import (
    ConfluentAvroCodec,
    FramedRecord,
    LocalSchemaRegistry,
    RegistryClient,
)
from app.codecs.factory import make_codec
from app.codecs.json import JsonCodec

__all__ = [
    "AvroCodec",
    "Codec",
    "ConfluentAvroCodec",
    "FramedRecord",
    "JsonCodec",
    "LocalSchemaRegistry",
    "RegistryClient",
    "make_codec",
]
