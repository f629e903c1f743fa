"""JSON objects, one per record value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

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
