"""The codec interface."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from app.codecs.columns import Columns
from app.errors import DecodeError


class Codec(Protocol):
    """Decodes one record value into a flat field mapping, and encodes one back."""

    name: str

    def decode(self, data: bytes) -> dict[str, Any]:
        """Raise :class:`app.errors.DecodeError` for bytes that are not a valid record."""

    def encode(self, record: Mapping[str, Any]) -> bytes: ...

    def decode_many(self, values: Sequence[bytes]) -> list[dict[str, Any] | DecodeError]:
        """Decode a batch; a value that fails yields its DecodeError in its place."""

    def decode_columns(self, values: Sequence[bytes]) -> Columns | None:
        """A batch of valid records as columns, or None (some are bad, or this codec has no
        columnar path): then ``decode_many``."""


def decode_each(codec: Codec, values: Sequence[bytes]) -> list[dict[str, Any] | DecodeError]:
    """``decode_many`` for codecs without a faster batch path."""
    out: list[dict[str, Any] | DecodeError] = []
    for value in values:
        try:
            out.append(codec.decode(value))
        except DecodeError as exc:
            out.append(exc)
    return out
