"""Avro compatibility levels for the usual schema changes (the registry's verdicts)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.errors import SchemaError
from app.schema.avro_compat import can_read, compatibility


def record(*fields: dict[str, Any], name: str = "Reading") -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "iot", "fields": list(fields)}


SENSOR = {"name": "sensor", "type": "string"}
VALUE = {"name": "value", "type": "double"}
OLD = record(SENSOR, VALUE)


@pytest.mark.parametrize(
    ("new", "level"),
    [
        (record(SENSOR, VALUE), "FULL"),
        (record(SENSOR, VALUE, {"name": "unit", "type": "string", "default": "C"}), "FULL"),
        (record(SENSOR, VALUE, {"name": "unit", "type": "string"}), "FORWARD"),
        (record(SENSOR), "BACKWARD"),  # removed a field the old schema needs
        (record(SENSOR, {"name": "value", "type": "string"}), "NONE"),
        (record(SENSOR, {"name": "value", "type": ["null", "double"]}), "BACKWARD"),
        (record(SENSOR, {"name": "reading", "type": "double", "aliases": ["value"]}), "BACKWARD"),
        (record(SENSOR, VALUE, name="Other"), "NONE"),
    ],
)
def test_levels(new: dict[str, Any], level: str) -> None:
    verdict = compatibility(json.dumps(OLD), json.dumps(new))
    assert verdict.level == level, verdict.reasons
    assert bool(verdict.reasons) == (level != "FULL")


def test_removed_field_with_default_is_full() -> None:
    old = record(SENSOR, {**VALUE, "default": 0.0})
    assert compatibility(old, record(SENSOR)).level == "FULL"


@pytest.mark.parametrize(
    ("writer", "reader", "ok"),
    [
        ("int", "long", True),
        ("int", "double", True),
        ("long", "float", True),
        ("float", "double", True),
        ("string", "bytes", True),
        ("bytes", "string", True),
        ("long", "int", False),
        ("double", "float", False),
        ("int", "string", False),
    ],
)
def test_promotions(writer: str, reader: str, ok: bool) -> None:
    field = {"name": "v"}
    problems = can_read(record({**field, "type": reader}), record({**field, "type": writer}))
    assert (not problems) == ok
    if not ok:
        assert problems == [f"v: writer {writer} cannot be read as {reader}"]


def test_promotion_is_backward_only() -> None:
    new = record(SENSOR, {"name": "count", "type": "long"})
    old = record(SENSOR, {"name": "count", "type": "int"})
    verdict = compatibility(old, new)
    assert verdict.level == "BACKWARD"
    assert verdict.reasons == ("old reading new: count: writer long cannot be read as int",)


def test_enums_arrays_maps_and_named_references() -> None:
    color = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}
    wider = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"]}
    old = record({"name": "c", "type": color}, {"name": "d", "type": "Color"})
    new = record({"name": "c", "type": wider}, {"name": "d", "type": "iot.Color"})
    assert compatibility(old, new).level == "BACKWARD"  # old readers meet BLUE
    ints = record({"name": "xs", "type": {"type": "array", "items": "int"}})
    longs = record({"name": "xs", "type": {"type": "array", "items": "long"}})
    assert compatibility(ints, longs).level == "BACKWARD"
    maps = record({"name": "m", "type": {"type": "map", "values": "string"}})
    assert compatibility(maps, ints).level == "NONE"


def test_recursive_types_terminate() -> None:
    node = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "next", "type": ["null", "Node"], "default": None}],
    }
    assert compatibility(node, node).level == "FULL"


def test_undefined_type_and_bad_json_are_schema_errors() -> None:
    with pytest.raises(SchemaError):
        can_read(record({"name": "value", "type": "Missing"}), OLD)
    with pytest.raises(SchemaError):
        compatibility("{not json", OLD)
