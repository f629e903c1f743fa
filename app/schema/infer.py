"""Infer a schema from sample records (decoded field mappings)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from app.errors import SchemaError
from app.schema.model import FieldKind, FieldSpec, FieldType, Schema

_ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
CATEGORICAL_MAX_DISTINCT = 64  # always categorical at or below this many values
CATEGORICAL_MAX_SHARE = 0.05  # ... or when values repeat a lot,
CATEGORICAL_CAP = 500  # but never above this many (IDs, free text)
INT_CATEGORICAL_MAX_DISTINCT = 24


def value_type(value: Any) -> str:
    """The driftmend type name of one decoded value ('other' for nested values)."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is bool:
        return "bool"
    if kind is int:
        return "int"
    if kind is float:
        return "float"
    if kind is str:
        return "timestamp" if _ISO_TS.match(value) else "string"
    if isinstance(value, (datetime, date)):
        return "timestamp"
    return "other"


def _field_type(types: Counter[str]) -> FieldType:
    seen = {t for t in types if t != "null"}
    if not seen:
        return "string"
    if seen <= {"int"}:
        return "int"
    if seen <= {"int", "float"}:
        return "float"
    if seen == {"bool"}:
        return "bool"
    if seen == {"timestamp"}:
        return "timestamp"
    if seen <= {"string", "timestamp"}:
        return "string"
    raise SchemaError(f"mixed value types {sorted(seen)}")


def _field_kind(ftype: FieldType, distinct: int, non_null: int) -> FieldKind:
    if ftype == "timestamp":
        return "timestamp"
    if ftype == "bool":
        return "categorical"
    if ftype == "string":
        few = distinct <= CATEGORICAL_MAX_DISTINCT or (
            distinct <= CATEGORICAL_CAP and distinct <= CATEGORICAL_MAX_SHARE * non_null
        )
        return "categorical" if few and distinct < non_null else "text"
    if ftype == "int" and distinct <= INT_CATEGORICAL_MAX_DISTINCT:
        return "categorical"
    return "continuous"


def infer_schema(records: Iterable[Mapping[str, Any]]) -> Schema:
    """Infer field types, kinds, nullability and string lengths from records."""
    types: dict[str, Counter[str]] = {}
    distinct: dict[str, set[Any]] = {}
    lengths: dict[str, list[int]] = {}
    present: Counter[str] = Counter()
    total = 0
    for record in records:
        total += 1
        for name, value in record.items():
            present[name] += 1
            vt = value_type(value)
            types.setdefault(name, Counter())[vt] += 1
            if vt in ("string", "int", "bool"):
                seen = distinct.setdefault(name, set())
                if len(seen) <= 10_000:
                    seen.add(value)
            if isinstance(value, str):
                lengths.setdefault(name, []).append(len(value))
    if total == 0:
        raise SchemaError("cannot infer a schema from zero records")
    specs = []
    for name, counts in types.items():
        if counts["other"]:
            raise SchemaError(f"field {name!r} holds nested values; flatten the feed first")
        try:
            ftype = _field_type(counts)
        except SchemaError as exc:
            raise SchemaError(f"field {name!r}: {exc}") from exc
        non_null = sum(c for t, c in counts.items() if t != "null")
        lens = lengths.get(name)
        specs.append(
            FieldSpec(
                name=name,
                type=ftype,
                kind=_field_kind(ftype, len(distinct.get(name, ())), non_null),
                nullable=counts["null"] > 0 or present[name] < total,
                required=present[name] == total,
                min_length=min(lens) if lens else None,
                max_length=max(lens) if lens else None,
            )
        )
    return Schema(tuple(specs))
