"""Avro schema compatibility, by the specification's schema-resolution rules.

``can_read(reader, writer)`` lists why data written with ``writer`` cannot be read with
``reader`` (empty: it can). Rules: records match by unqualified name (or a reader alias);
a reader field is taken from the writer field of the same name (or an alias) and must be
readable from it, or else needs a default; writer fields the reader lacks are skipped;
primitives are equal or promoted (int -> long, float, double; long -> float, double;
float -> double; string <-> bytes); every branch of a writer union must be readable, and a
non-union writer must match some branch of a reader union; enum symbols the writer adds
need a reader default; arrays, maps and fixed types compare items, values and sizes.

``compatibility(old, new)`` gives the registry's level: BACKWARD (the new schema reads data
written with the old), FORWARD (the old reads the new), FULL (both) or NONE.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.errors import SchemaError

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}
NAMED = ("record", "error", "enum", "fixed")


@dataclass(frozen=True)
class Compatibility:
    backward: bool
    forward: bool
    reasons: tuple[str, ...] = ()

    @property
    def level(self) -> str:
        if self.backward and self.forward:
            return "FULL"
        return "BACKWARD" if self.backward else "FORWARD" if self.forward else "NONE"


class _Names:
    """Named types (records, enums, fixed) of one schema, by full and by short name."""

    def __init__(self, schema: Any) -> None:
        self.types: dict[str, dict[str, Any]] = {}
        self._collect(schema, "")

    def _collect(self, schema: Any, namespace: str) -> None:
        if isinstance(schema, list):
            for branch in schema:
                self._collect(branch, namespace)
            return
        if not isinstance(schema, dict):
            return
        kind = schema.get("type")
        if kind in NAMED:
            name = str(schema.get("name", ""))
            namespace = str(schema.get("namespace", namespace))
            if "." in name:
                namespace = name.rsplit(".", 1)[0]
            full = name if "." in name or not namespace else f"{namespace}.{name}"
            self.types[full] = schema
            self.types.setdefault(full.rsplit(".", 1)[-1], schema)
            for f in schema.get("fields", ()):
                self._collect(f.get("type"), namespace)
        elif kind in ("array", "map"):
            self._collect(schema.get("items", schema.get("values")), namespace)
        else:
            self._collect(kind, namespace)

    def resolve(self, schema: Any) -> Any:
        if isinstance(schema, str) and schema not in PRIMITIVES:
            found = self.types.get(schema) or self.types.get(schema.rsplit(".", 1)[-1])
            if found is None:
                raise SchemaError(f"undefined Avro type {schema!r}")
            return found
        if isinstance(schema, dict) and schema.get("type") in PRIMITIVES:
            return schema["type"]  # {"type": "int", "logicalType": ...} reads like "int"
        if isinstance(schema, dict) and isinstance(schema.get("type"), (dict, list, str)):
            inner = schema["type"]
            if not (isinstance(inner, str) and inner in (*NAMED, "array", "map")):
                return self.resolve(inner)
        return schema


def _type_of(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, str):
        return schema
    return "record" if schema.get("type") == "error" else str(schema.get("type"))


def _short(name: Any) -> str:
    return str(name).rsplit(".", 1)[-1]


def _same_name(reader: dict[str, Any], writer: dict[str, Any]) -> bool:
    names = {_short(reader.get("name"))} | {_short(a) for a in reader.get("aliases", ())}
    return _short(writer.get("name")) in names


class _Checker:
    def __init__(self, reader: Any, writer: Any) -> None:
        self.rnames, self.wnames = _Names(reader), _Names(writer)
        self.seen: set[tuple[int, int]] = set()

    def check(self, reader: Any, writer: Any, path: str) -> list[str]:
        r, w = self.rnames.resolve(reader), self.wnames.resolve(writer)
        rt, wt = _type_of(r), _type_of(w)
        if wt == "union":
            return [p for branch in w for p in self.check(r, branch, path)]
        if rt == "union":
            if any(not self.check(branch, w, path) for branch in r):
                return []
            return [f"{path or 'root'}: writer type {wt} is not in the reader's union"]
        if rt in PRIMITIVES and wt in PRIMITIVES:
            if rt == wt or rt in PROMOTIONS.get(wt, ()):
                return []
            return [f"{path or 'root'}: writer {wt} cannot be read as {rt}"]
        if rt != wt:
            return [f"{path or 'root'}: writer {wt} cannot be read as {rt}"]
        if rt == "array":
            return self.check(r["items"], w["items"], f"{path}[]")
        if rt == "map":
            return self.check(r["values"], w["values"], f"{path}{{}}")
        if not _same_name(r, w):
            return [f"{path or 'root'}: {rt} {w.get('name')} cannot be read as {r.get('name')}"]
        if rt == "fixed":
            ok = r.get("size") == w.get("size")
            return (
                [] if ok else [f"{path or 'root'}: fixed size {w.get('size')} != {r.get('size')}"]
            )
        if rt == "enum":
            extra = sorted(set(w.get("symbols", ())) - set(r.get("symbols", ())))
            if extra and "default" not in r:
                return [f"{path or 'root'}: enum symbols {extra} unknown to the reader"]
            return []
        return self._record(r, w, path)

    def _record(self, r: dict[str, Any], w: dict[str, Any], path: str) -> list[str]:
        key = (id(r), id(w))
        if key in self.seen:  # a recursive type: already being compared
            return []
        self.seen.add(key)
        written = {f["name"]: f for f in w.get("fields", ())}
        problems: list[str] = []
        for field in r.get("fields", ()):
            where = f"{path}.{field['name']}" if path else field["name"]
            source = next(
                (written[n] for n in (field["name"], *field.get("aliases", ())) if n in written),
                None,
            )
            if source is not None:
                problems += self.check(field["type"], source["type"], where)
            elif "default" not in field:
                problems.append(f"{where}: missing from the writer and no default")
        return problems


def parse(text: str | dict[str, Any]) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else text
    except ValueError as exc:
        raise SchemaError(f"invalid Avro schema JSON: {exc}") from exc


def can_read(reader: Any, writer: Any) -> list[str]:
    """Why data written with ``writer`` cannot be read with ``reader`` (empty if it can)."""
    r, w = parse(reader), parse(writer)
    return _Checker(r, w).check(r, w, "")


def compatibility(old: Any, new: Any) -> Compatibility:
    """How a new writer schema relates to the old one (registry levels)."""
    backward = can_read(new, old)
    forward = can_read(old, new)
    reasons = tuple(f"new reading old: {p}" for p in backward) + tuple(
        f"old reading new: {p}" for p in forward
    )
    return Compatibility(not backward, not forward, reasons)
