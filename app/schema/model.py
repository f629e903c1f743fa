"""Schema values: a feed's fields with type, kind, nullability and string lengths."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from app.errors import SchemaError

FieldType = Literal["int", "float", "bool", "string", "timestamp"]
FieldKind = Literal["continuous", "categorical", "text", "timestamp"]
FIELD_TYPES: tuple[str, ...] = ("int", "float", "bool", "string", "timestamp")
FIELD_KINDS: tuple[str, ...] = ("continuous", "categorical", "text", "timestamp")


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record.

    ``kind`` decides how drift is measured: ``continuous`` by quantiles, ``categorical`` by
    category frequencies, ``text`` (IDs, free text) by lengths and distinct counts only and
    ``timestamp`` by structure only (time always moves on).
    """

    name: str
    type: FieldType
    kind: FieldKind
    nullable: bool = False
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "float", "timestamp")

    def accepts(self, observed: str) -> bool:
        """Whether a value of the observed type conforms (ints are valid floats)."""
        if observed == "null":
            return self.nullable
        if observed == self.type:
            return True
        return self.type == "float" and observed == "int"


@dataclass(frozen=True)
class Schema:
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise SchemaError(f"duplicate field names in schema: {sorted(names)}")

    def get(self, name: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def to_dict(self) -> dict[str, Any]:
        return {"fields": [asdict(f) for f in self.fields]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        try:
            specs = []
            for raw in data["fields"]:
                if raw["type"] not in FIELD_TYPES or raw["kind"] not in FIELD_KINDS:
                    raise SchemaError(f"unknown type or kind in field {raw.get('name')!r}")
                specs.append(FieldSpec(**raw))
            return cls(tuple(specs))
        except (KeyError, TypeError) as exc:
            raise SchemaError(f"malformed schema: {exc}") from exc
