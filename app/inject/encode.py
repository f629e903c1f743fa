"""Encode synthetic records exactly like the feed's own: same codec, same schema id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from app.codecs.base import Codec
from app.codecs.confluent import ConfluentAvroCodec
from app.errors import DecodeError, DriftmendError


def encoder_for(codec: Codec, example: bytes | None) -> Codec:
    """The codec to write with: Confluent-framed feeds get the schema id of ``example`` (a
    real record of the same window), so synthetic records carry the feed's current id."""
    if isinstance(codec, ConfluentAvroCodec) and example is not None:
        try:
            return ConfluentAvroCodec(codec.source, codec.schema_id(example))
        except DecodeError:
            return codec
    return codec


def encode_all(codec: Codec, records: Sequence[Mapping[str, Any]]) -> tuple[list[bytes], int]:
    """Encoded values and how many records could not be encoded (dropped, counted)."""
    out: list[bytes] = []
    failed = 0
    for record in records:
        try:
            out.append(codec.encode(record))
        except (DriftmendError, ValueError, TypeError, OverflowError):
            failed += 1
    return out, failed
