"""Avro binary with a known writer schema and no framing."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any

import fastavro

from app.codecs.avro_columns import ColumnarReader
from app.codecs.base import decode_each
from app.codecs.columns import Columns
from app.errors import DecodeError, SchemaError


def parse_avro_schema(schema: str | Mapping[str, Any]) -> Any:
    try:
        raw = json.loads(schema) if isinstance(schema, str) else dict(schema)
        return fastavro.parse_schema(raw)
    except (ValueError, TypeError, fastavro.schema.SchemaParseException) as exc:
        raise SchemaError(f"invalid Avro schema: {exc}") from exc


# what fastavro raises on bytes that are not a record of the schema
READ_ERRORS = (
    EOFError,
    ValueError,
    TypeError,
    IndexError,
    UnicodeDecodeError,
    OverflowError,
    MemoryError,
    KeyError,
)


def read_avro(data: bytes, schema: Any) -> dict[str, Any]:
    buf = io.BytesIO(data)
    try:
        value = fastavro.schemaless_reader(buf, schema, None)
    except READ_ERRORS as exc:
        raise DecodeError(f"invalid Avro ({type(exc).__name__}): {exc}") from exc
    if buf.tell() != len(data):
        raise DecodeError(f"Avro record has {len(data) - buf.tell()} trailing bytes")
    if not isinstance(value, dict):
        raise DecodeError("Avro schema must describe a record")
    return value


def read_avro_many(values: Sequence[bytes], schema: Any) -> list[dict[str, Any]] | None:
    """Records of one schema read back to back from one buffer (no stream set up per
    record); None unless every record ends exactly where its value does (then the caller
    decodes them one by one, to say which ones are bad)."""
    buf = io.BytesIO(b"".join(values))
    read, out = fastavro.schemaless_reader, []
    try:
        for end in accumulate(map(len, values)):
            value = read(buf, schema, None)
            if buf.tell() != end or not isinstance(value, dict):
                return None
            out.append(value)
    except READ_ERRORS:
        return None
    return out


def write_avro(record: Mapping[str, Any], schema: Any) -> bytes:
    buf = io.BytesIO()
    try:
        fastavro.schemaless_writer(buf, schema, dict(record))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SchemaError(f"record does not fit the Avro schema: {exc}") from exc
    return buf.getvalue()


class AvroCodec:
    name = "avro"

    def __init__(self, schema: str | Mapping[str, Any]) -> None:
        self.schema = parse_avro_schema(schema)
        self._columnar = ColumnarReader.for_schema(self.schema)

    @classmethod
    def from_file(cls, path: Path) -> AvroCodec:
        try:
            return cls(path.read_text())
        except OSError as exc:
            raise SchemaError(f"cannot read Avro schema {path}: {exc}") from exc

    def decode(self, data: bytes) -> dict[str, Any]:
        return read_avro(data, self.schema)

    def decode_many(self, values: Sequence[bytes]) -> list[dict[str, Any] | DecodeError]:
        rows = read_avro_many(values, self.schema)
        return decode_each(self, values) if rows is None else list(rows)

    def decode_columns(self, values: Sequence[bytes]) -> Columns | None:
        return None if self._columnar is None else self._columnar.read(values)

    def encode(self, record: Mapping[str, Any]) -> bytes:
        return write_avro(record, self.schema)
