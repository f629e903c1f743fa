"""Schema inference: types, kinds, nullability, lengths."""

from __future__ import annotations

import pytest

from app.errors import SchemaError
from app.schema import Schema, infer_schema, value_type


def test_infers_types_and_kinds() -> None:
    rows = [
        {
            "i": k,
            "f": k / 3,
            "s": "abc"[k % 3],
            "t": "2013-01-01T05:00:00Z",
            "b": k % 2 == 0,
            "id": f"user-{k:05d}",
            "n": None if k % 10 == 0 else 1.5,
            "big": k * 1000,
        }
        for k in range(500)
    ]
    schema = infer_schema(rows)
    got = {f.name: (f.type, f.kind, f.nullable) for f in schema.fields}
    assert got == {
        "i": ("int", "continuous", False),
        "f": ("float", "continuous", False),
        "s": ("string", "categorical", False),
        "t": ("timestamp", "timestamp", False),
        "b": ("bool", "categorical", False),
        "id": ("string", "text", False),
        "n": ("float", "continuous", True),
        "big": ("int", "continuous", False),
    }
    spec = schema.get("id")
    assert spec is not None and (spec.min_length, spec.max_length) == (10, 10)


def test_missing_fields_are_optional_and_nullable() -> None:
    schema = infer_schema([{"a": 1, "b": 2}, {"a": 3}])
    b = schema.get("b")
    assert b is not None and not b.required and b.nullable


def test_ints_and_floats_mix_to_float() -> None:
    assert infer_schema([{"v": 1}, {"v": 2.5}]).fields[0].type == "float"


@pytest.mark.parametrize("rows", [[], [{"v": 1}, {"v": "x"}], [{"v": {"nested": 1}}]])
def test_rejects_what_it_cannot_type(rows: list[dict[str, object]]) -> None:
    with pytest.raises(SchemaError):
        infer_schema(rows)


def test_schema_round_trip() -> None:
    schema = infer_schema([{"a": 1, "b": "x", "c": None}])
    assert Schema.from_dict(schema.to_dict()) == schema


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "bool"),
        (1, "int"),
        (1.0, "float"),
        ("x", "string"),
        ("2020-02-02 10:00", "timestamp"),
        ([1], "other"),
    ],
)
def test_value_type(value: object, name: str) -> None:
    assert value_type(value) == name
