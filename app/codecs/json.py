"""JSON objects, one per record value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from app.codecs.base import decode_each
from app.errors import DecodeError


class JsonCodec:
    name = "json"

    def decode(self, data: bytes) -> dict[str, Any]:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise DecodeError(f"invalid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise DecodeError(f"expected a JSON object, got {type(value).__name__}")
        return value

    def encode(self, record: Mapping[str, Any]) -> bytes:
        return orjson.dumps(dict(record))

    def decode_columns(self, values: Sequence[bytes]) -> None:
        return None

    def decode_many(self, values: Sequence[bytes]) -> list[dict[str, Any] | DecodeError]:
        try:  # the common case, all valid objects, decoded in one C loop
            rows = list(map(orjson.loads, values))
            if set(map(type, rows)) <= {dict}:
                return rows
        except orjson.JSONDecodeError:
            pass
        return decode_each(self, values)
