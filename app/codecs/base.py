"""The codec interface."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Codec(Protocol):
    """Decodes one record value into a flat field mapping, and encodes one back."""

    name: str

    def decode(self, data: bytes) -> dict[str, Any]:
        """Raise :class:`app.errors.DecodeError` for bytes that are not a valid record."""

    def encode(self, record: Mapping[str, Any]) -> bytes: ...
