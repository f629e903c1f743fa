"""Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then Avro binary."""

from __future__ import annotations

import json
import struct
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from app.codecs.avro import parse_avro_schema, read_avro, write_avro
from app.codecs.base import decode_each
from app.errors import DecodeError, SchemaError

MAGIC = 0
HEADER = struct.Struct(">bI")


class FramedRecord(dict[str, Any]):
    """A decoded record that remembers the schema id it was written with (and that schema's
    text), so profiles can count schema ids per window."""

    __slots__ = ("schema_id", "writer_schema")

    def __init__(self, fields: dict[str, Any], schema_id: int, writer_schema: str) -> None:
        super().__init__(fields)
        self.schema_id = schema_id
        self.writer_schema = writer_schema


class SchemaSource(Protocol):
    def schema(self, schema_id: int) -> str: ...


class LocalSchemaRegistry:
    """Schemas in a folder, one ``<id>.avsc`` file each."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def schema(self, schema_id: int) -> str:
        path = self.folder / f"{schema_id}.avsc"
        try:
            return path.read_text()
        except FileNotFoundError as exc:
            raise DecodeError(f"unknown schema id {schema_id} (no {path})") from exc


class RegistryClient:
    """A schema registry's REST API (``GET /schemas/ids/{id}``)."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def schema(self, schema_id: int) -> str:
        try:
            with urllib.request.urlopen(
                f"{self.url}/schemas/ids/{schema_id}", timeout=self.timeout
            ) as resp:
                return str(json.loads(resp.read())["schema"])
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise DecodeError(f"unknown schema id {schema_id}") from exc
            raise SchemaError(f"schema registry error for id {schema_id}: {exc}") from exc
        except (urllib.error.URLError, OSError, KeyError, ValueError) as exc:
            raise SchemaError(f"schema registry unreachable: {exc}") from exc


class ConfluentAvroCodec:
    name = "confluent-avro"

    def __init__(self, source: SchemaSource, write_schema_id: int | None = None) -> None:
        self.source = source
        self.write_schema_id = write_schema_id
        self._schemas: dict[int, Any] = {}
        self._texts: dict[int, str] = {}

    def _schema(self, schema_id: int) -> Any:
        schema = self._schemas.get(schema_id)
        if schema is None:
            text = self.source.schema(schema_id)
            schema = self._schemas[schema_id] = parse_avro_schema(text)
            self._texts[schema_id] = text
        return schema

    def schema_id(self, data: bytes) -> int:
        if len(data) < HEADER.size:
            raise DecodeError(f"record of {len(data)} bytes is too short for Confluent framing")
        magic, schema_id = HEADER.unpack_from(data)
        if magic != MAGIC:
            raise DecodeError(f"bad magic byte {magic} (expected {MAGIC})")
        return int(schema_id)

    def decode(self, data: bytes) -> dict[str, Any]:
        schema_id = self.schema_id(data)
        fields = read_avro(data[HEADER.size :], self._schema(schema_id))
        return FramedRecord(fields, schema_id, self._texts[schema_id])

    def decode_columns(self, values: Sequence[bytes]) -> None:
        return None

    def decode_many(self, values: Sequence[bytes]) -> list[dict[str, Any] | DecodeError]:
        return decode_each(self, values)

    def encode(self, record: Mapping[str, Any]) -> bytes:
        if self.write_schema_id is None:
            raise SchemaError("no schema id to encode with")
        body = write_avro(record, self._schema(self.write_schema_id))
        return HEADER.pack(MAGIC, self.write_schema_id) + body
