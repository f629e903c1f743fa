"""JSON objects, one per record value (decoded by msgspec, encoded by orjson).

A batch whose records all have the first one's fields (in any order) is decoded straight
into columns: one msgspec ``Struct`` type per such shape, so no dict is built per record.
Any other batch (a field added or missing in some record, a bad record) is decoded record
by record, and the next few batches skip the attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

import msgspec
import orjson

from app.codecs.base import decode_each
from app.codecs.columns import Columns
from app.errors import DecodeError

MAX_SHAPES = 8  # Struct types kept, newest last
SKIP_AFTER_MISFIT = 16  # batches decoded record by record after one did not fit its shape


class JsonCodec:
    name = "json"

    def __init__(self) -> None:
        self._any = msgspec.json.Decoder()
        self._shapes: dict[tuple[str, ...], msgspec.json.Decoder[Any] | None] = {}
        self._skip = 0

    def __reduce__(self) -> tuple[type[JsonCodec], tuple[()]]:
        return JsonCodec, ()  # its state is caches; it goes to processes of its own

    def decode(self, data: bytes) -> dict[str, Any]:
        try:
            value = self._any.decode(data)
        except (msgspec.DecodeError, RecursionError) as exc:  # nested too deep: RecursionError
            raise DecodeError(f"invalid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise DecodeError(f"expected a JSON object, got {type(value).__name__}")
        return value

    def encode(self, record: Mapping[str, Any]) -> bytes:
        return orjson.dumps(dict(record))

    def decode_many(self, values: Sequence[bytes]) -> list[dict[str, Any] | DecodeError]:
        try:  # the common case, all valid objects, decoded in one C loop
            rows = list(map(self._any.decode, values))
            if set(map(type, rows)) <= {dict}:
                return rows
        except (msgspec.DecodeError, RecursionError):
            pass
        return decode_each(self, values)

    def decode_columns(self, values: Sequence[bytes]) -> Columns | None:
        """The batch as columns of the values as decoded, if every record is a valid object
        with exactly the first record's fields; else None."""
        if self._skip or not values:
            self._skip = max(self._skip - 1, 0)
            return None
        try:
            first = self._any.decode(values[0])
            if not isinstance(first, dict) or not first:
                raise msgspec.DecodeError("not an object with fields")
            names = tuple(first)
            decoder = self._shape(names)
            if decoder is None:
                raise msgspec.DecodeError("a field name msgspec cannot match")
            rows = list(map(decoder.decode, values))
        except (msgspec.DecodeError, RecursionError):  # ValidationError: a field missing or added
            self._skip = SKIP_AFTER_MISFIT
            return None
        fields = map(attrgetter, rows[0].__struct_fields__)  # f0, f1, ...: one per name
        columns = [list(map(field, rows)) for field in fields]  # a C loop per column
        return Columns(dict(zip(names, columns, strict=True)), len(rows))

    def _shape(self, names: tuple[str, ...]) -> msgspec.json.Decoder[Any] | None:
        """The decoder of records with exactly these fields (None for names with a quote, a
        backslash or a control character, which msgspec does not match)."""
        if names in self._shapes:
            decoder = self._shapes.pop(names)
        else:
            try:
                struct = msgspec.defstruct(
                    "Record",
                    [(f"f{i}", Any) for i in range(len(names))],
                    rename={f"f{i}": name for i, name in enumerate(names)},
                    forbid_unknown_fields=True,
                    gc=False,  # its values cannot refer back to it: no cycle to collect
                )
                decoder = msgspec.json.Decoder(struct)
            except ValueError:
                decoder = None
            if len(self._shapes) >= MAX_SHAPES:
                del self._shapes[next(iter(self._shapes))]
        self._shapes[names] = decoder  # newest last
        return decoder
