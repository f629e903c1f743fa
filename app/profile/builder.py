"""ProfileBuilder: updates field profiles from batches of decoded records, column by column.

The hot path: one Python pass to split records into columns, then numpy and sketch calls
per column and batch, never per value where a batch call exists.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

import datasketches as ds
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from app.codecs.columns import Columns
from app.profile.field import HLL_LG_K, ITEMS_LG_MAX_K, KLL_K, FieldProfile
from app.profile.sample import RowSample
from app.profile.window import WindowProfile
from app.schema.model import FieldSpec, Schema

_TYPE_NAMES: dict[type, str] = {
    type(None): "null",
    bool: "bool",
    int: "int",
    float: "float",
    str: "string",
    datetime: "timestamp",
    date: "timestamp",
}
_NUMERIC = (int, float)


def _epoch_seconds(values: list[Any]) -> tuple[np.ndarray, int]:
    """Parse timestamps (ISO strings or datetimes) to epoch seconds; count the failures.

    Arrow parses a clean batch of ISO strings in C; mixed or invalid batches go to pandas,
    which turns each bad value into NaT (counted as a type mismatch)."""
    try:
        parsed_ms = pc.cast(pa.array(values), pa.timestamp("ms", tz="UTC"))
        return parsed_ms.cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e3, 0
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    parsed = pd.to_datetime(
        pd.Series(values, dtype=object), utc=True, errors="coerce", format="ISO8601"
    )
    ok = parsed.notna().to_numpy()
    seconds = parsed[ok].dt.as_unit("ns").astype("int64").to_numpy() / 1e9
    return seconds.astype(np.float64), int((~ok).sum())


class ProfileBuilder:
    """Accumulates one window's field profiles; ``snapshot`` returns the mergeable value."""

    def __init__(
        self, schema: Schema | None = None, edges: Mapping[str, tuple[float, ...]] | None = None
    ) -> None:
        self._specs: dict[str, FieldSpec] = (
            {} if schema is None else {f.name: f for f in schema.fields}
        )
        self._edges = dict(edges or {})
        self._fields: dict[str, FieldProfile] = {}
        self.records = 0
        self.decode_errors = 0
        self.in_order = True  # the last batch's numeric values follow record order
        self.schema_ids: Counter[int] = Counter()
        self.writer_schemas: dict[int, str] = {}
        joint = [f.name for f in self._specs.values() if f.kind == "continuous"]
        self.sample = RowSample.empty(joint) if len(joint) >= 2 else None

    def add(
        self, records: Sequence[Mapping[str, Any]] | Columns, keys: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Add a batch; returns the finite numeric values per field (for stream detectors).

        ``keys`` identify the records for the row sample (default: their running number)."""
        if isinstance(records, Columns):
            return self._add_columns(records, keys)
        if self.sample is not None:
            if keys is None:
                keys = np.arange(self.records, self.records + len(records), dtype=np.uint64)
            self.sample = self.sample.offer(records, keys)
        if records and getattr(records[0], "schema_id", None) is not None:
            self._count_schema_ids(records)
        columns, self.in_order = _columns(records)
        self.records += len(records)
        numeric: dict[str, np.ndarray] = {}
        for name, column in columns.items():
            values = self._update(name, column)
            if values is not None and len(values):
                numeric[name] = values
        return numeric

    def _add_columns(self, batch: Columns, keys: np.ndarray | None) -> dict[str, np.ndarray]:
        """``add`` for a batch decoded into columns: typed numeric columns skip the per-value
        type scan; the others take the same path as values of records."""
        if self.sample is not None:
            if keys is None:
                keys = np.arange(self.records, self.records + len(batch), dtype=np.uint64)
            self.sample = self.sample.offer(batch, keys)
        self.in_order = True
        self.records += len(batch)
        numeric: dict[str, np.ndarray] = {}
        for name, array in batch.arrays.items():
            values: np.ndarray | None
            if isinstance(array, list):  # values as decoded: the path of records
                values = self._update(name, array)
            elif pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
                values = self._update_typed(
                    name, array, "int" if pa.types.is_integer(array.type) else "float"
                )
            else:
                values = self._update(name, array.to_pylist())
            if values is not None and len(values):
                numeric[name] = values
        return numeric

    def _update_typed(self, name: str, array: pa.Array, type_name: str) -> np.ndarray:
        fp = self._profile(name)
        nulls = array.null_count
        fp.count += len(array)
        fp.nulls += nulls
        if nulls:
            fp.types["null"] += nulls
        if len(array) > nulls:
            fp.types[type_name] += len(array) - nulls
        values: np.ndarray = np.asarray(
            array.drop_null().to_numpy(zero_copy_only=False), dtype=np.float64
        )
        values = values[np.isfinite(values)]
        if len(values):
            self._update_numbers(name, fp, values, self._specs.get(name))
        return values

    def add_column(self, name: str, column: list[Any]) -> FieldProfile:
        """Profile one field's values directly (no records); returns its profile so far."""
        self._update(name, column)
        return self._fields[name]

    def add_alarms(self, name: str, alarms: int) -> None:
        self._profile(name).adwin_alarms += alarms

    def snapshot(
        self,
        feed: str,
        window_id: int,
        start_ms: int,
        end_ms: int,
        partitions: frozenset[int] = frozenset(),
    ) -> WindowProfile:
        return WindowProfile(
            feed=feed,
            window_id=window_id,
            start_ms=start_ms,
            end_ms=end_ms,
            records=self.records,
            decode_errors=self.decode_errors,
            partitions=partitions,
            fields={name: fp.merge(FieldProfile()) for name, fp in self._fields.items()},
            sample=self.sample,
            schema_ids=dict(self.schema_ids),
            writer_schemas=dict(self.writer_schemas),
        )

    # -- internals ------------------------------------------------------------------------
    def _count_schema_ids(self, records: Sequence[Any]) -> None:
        """Count the writer schema ids of Confluent-framed records (``FramedRecord``)."""
        counts: Counter[int] = Counter(
            sid for r in records if (sid := getattr(r, "schema_id", None)) is not None
        )
        self.schema_ids.update(counts)
        for schema_id in counts.keys() - self.writer_schemas.keys():
            first = next(r for r in records if getattr(r, "schema_id", None) == schema_id)
            self.writer_schemas[schema_id] = first.writer_schema

    def _profile(self, name: str) -> FieldProfile:
        fp = self._fields.get(name)
        if fp is None:
            edges = self._edges.get(name)
            fp = FieldProfile(
                edges=edges,
                hist=None if edges is None else np.zeros(len(edges) + 1, dtype=np.int64),
            )
            self._fields[name] = fp
        return fp

    def _update(self, name: str, column: list[Any]) -> np.ndarray | None:
        spec = self._specs.get(name)
        fp = self._profile(name)
        fp.count += len(column)
        kinds = set(map(type, column))
        by_type = (
            Counter({next(iter(kinds)): len(column)})
            if len(kinds) == 1
            else Counter(map(type, column))
        )
        fp.nulls += by_type.get(type(None), 0)
        strings = _of_type(column, kinds, str)
        stamps: list[Any] = []
        if spec is not None and spec.type == "timestamp":
            stamps = strings
            if kinds & {datetime, date}:
                stamps = stamps + [v for v in column if isinstance(v, (datetime, date))]
            strings = []
        for kind, n in by_type.items():
            if kind is not str and not (stamps and kind in (datetime, date)):
                fp.types[_TYPE_NAMES.get(kind, "other")] += n
        numbers = self._numbers(column, by_type)
        if stamps:
            seconds, failed = _epoch_seconds(stamps)
            fp.types["timestamp"] += len(stamps) - failed
            fp.types["string"] += failed
            numbers = seconds if numbers is None else np.concatenate([numbers, seconds])
        elif strings:
            fp.types["string"] += len(strings)
        if numbers is not None and len(numbers):
            self._update_numbers(name, fp, numbers, spec)
        bools = _of_type(column, kinds, bool)
        if bools:
            true = sum(bools)  # in C; True counts 1
            counts = {k: n for k, n in (("true", true), ("false", len(bools) - true)) if n}
            self._update_items(fp, counts)
            self._update_distinct(fp, counts.keys())
        if strings:
            self._update_strings(fp, strings, spec)
        return numbers

    @staticmethod
    def _numbers(column: list[Any], by_type: Counter[type]) -> np.ndarray | None:
        n_num = by_type.get(int, 0) + by_type.get(float, 0)
        if not n_num:
            return None
        if n_num == len(column):
            values = np.asarray(column, dtype=np.float64)
        else:
            values = np.fromiter((v for v in column if type(v) in _NUMERIC), np.float64, n_num)
        return values[np.isfinite(values)]

    def _update_numbers(
        self, name: str, fp: FieldProfile, values: np.ndarray, spec: FieldSpec | None
    ) -> None:
        if fp.numbers is None:
            fp.numbers = ds.kll_doubles_sketch(KLL_K)
        fp.numbers.update(values)
        with np.errstate(over="ignore"):  # past ~1e154 a square is inf, and so is the sum
            fp.total += float(values.sum())
            fp.total_sq += float(np.dot(values, values))
        if fp.edges is not None and fp.hist is not None:
            idx = np.searchsorted(np.asarray(fp.edges), values, side="left")
            fp.hist += np.bincount(idx, minlength=len(fp.edges) + 1)
        if spec is not None and spec.kind == "categorical":
            keys, counts = np.unique(values, return_counts=True)
            self._update_distinct(fp, keys.tolist())
            self._update_items(
                fp, {_category(k): int(c) for k, c in zip(keys, counts, strict=True)}
            )
        elif spec is None or spec.type != "int":
            self._update_distinct(fp, values.tolist())  # mostly distinct: dedup costs more
        else:
            self._update_distinct(fp, np.unique(values).tolist())

    def _update_strings(self, fp: FieldProfile, strings: list[str], spec: FieldSpec | None) -> None:
        if fp.lengths is None:
            fp.lengths = ds.kll_doubles_sketch(KLL_K)
        fp.lengths.update(np.fromiter(map(len, strings), np.float64, len(strings)))
        counts = Counter(strings)
        self._update_distinct(fp, counts.keys())
        if spec is None or spec.kind != "text":
            self._update_items(fp, counts)

    @staticmethod
    def _update_distinct(fp: FieldProfile, values: Any) -> None:
        if fp.distinct is None:
            fp.distinct = ds.hll_sketch(HLL_LG_K)
        deque(map(fp.distinct.update, values), maxlen=0)  # the loop in C

    @staticmethod
    def _update_items(fp: FieldProfile, counts: Mapping[str, int]) -> None:
        if fp.items is None:
            fp.items = ds.frequent_strings_sketch(ITEMS_LG_MAX_K)
        update = fp.items.update
        for item, n in counts.items():
            update(item, n)


def _columns(records: Sequence[Mapping[str, Any]]) -> tuple[dict[str, list[Any]], bool]:
    """Split records into columns (and whether each column keeps record order); when every
    record has the first one's keys (the usual case, in any order) each column is one
    ``itemgetter`` pass in C."""
    keys = tuple(records[0]) if records else ()
    if records and set(map(len, records)) == {len(keys)}:
        try:
            return {name: list(map(itemgetter(name), records)) for name in keys}, True
        except KeyError:  # as many keys, not the same ones
            pass
    shape_of = list(map(tuple, records))
    shapes: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for shape, record in zip(shape_of, records, strict=True):
        group = shapes.get(shape)
        if group is None:
            shapes[shape] = [record]
        else:
            group.append(record)
    columns: dict[str, list[Any]] = {}
    for shape, group in shapes.items():
        for name, values in zip(shape, zip(*map(_values, group), strict=True), strict=True):
            column = columns.get(name)
            if column is None:
                columns[name] = list(values)
            else:
                column.extend(values)
    return columns, len(shapes) <= 1


def _of_type(column: list[Any], kinds: set[type], kind: type) -> list[Any]:
    """The values of exactly ``kind`` (the column itself when it holds nothing else)."""
    if kind not in kinds:
        return []
    return column if len(kinds) == 1 else [v for v in column if type(v) is kind]


def _values(record: Mapping[str, Any]) -> Any:
    return record.values()


def _category(value: float) -> str:
    """Canonical category label of a numeric value: '3' for 3.0, else the float's repr."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
