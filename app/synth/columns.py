"""Columnar samples: one typed numpy array and null flags per field; records on demand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.synth.transform import Codec, NumericCodec


@dataclass(frozen=True)
class Column:
    """Values (int64, float64, bool or object arrays; timestamps as epoch seconds) and nulls.

    A decoded categorical column also keeps where its values came from: ``values ==
    pool[codes]``, so checks and hashes run once per category instead of once per row."""

    values: np.ndarray
    nulls: np.ndarray
    codes: np.ndarray | None = None
    pool: np.ndarray | None = None

    def take(self, rows: np.ndarray | slice) -> Column:
        """The rows at ``rows`` (a slice gives views, no copy)."""
        codes = None if self.codes is None else self.codes[rows]
        return Column(self.values[rows], self.nulls[rows], codes, self.pool)


Columns = dict[str, Column]


def bounded_sample(
    records: Sequence[Mapping[str, Any]], limit: int, seed: int = 0
) -> list[Mapping[str, Any]]:
    """At most ``limit`` records: a seeded uniform choice, kept in their original order."""
    if len(records) <= limit:
        return list(records)
    rows = np.sort(np.random.default_rng(seed).choice(len(records), size=limit, replace=False))
    return [records[i] for i in rows.tolist()]


def concat(parts: Sequence[Columns]) -> Columns:
    names = list(parts[0]) if parts else []
    return {
        n: Column(
            np.concatenate([p[n].values for p in parts]),
            np.concatenate([p[n].nulls for p in parts]),
        )
        for n in names
    }


def take(columns: Columns, rows: np.ndarray | slice) -> Columns:
    return {n: c.take(rows) for n, c in columns.items()}


def size(columns: Columns) -> int:
    return len(next(iter(columns.values())).values) if columns else 0


def to_records(columns: Columns, codecs: Sequence[Codec]) -> list[dict[str, Any]]:
    """JSON-ready records in schema order (timestamps formatted as the baseline wrote them)."""
    lists: list[list[Any]] = []
    for codec in codecs:
        col = columns[codec.spec.name]
        values = col.values
        if isinstance(codec, NumericCodec) and codec.time_format is not None:
            values = codec.time_format.format(values)
        out = values.tolist()
        for i in np.flatnonzero(col.nulls).tolist():
            out[i] = None
        lists.append(out)
    names = [c.spec.name for c in codecs]
    return [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]


def records_to_columns(records: Sequence[Mapping[str, Any]], names: Sequence[str]) -> Columns:
    """Records as object columns (for scoring real and synthetic data alike)."""
    out: Columns = {}
    for name in names:
        values = [r.get(name) for r in records]
        out[name] = Column(
            np.array(values, dtype=object), np.fromiter((v is None for v in values), bool)
        )
    return out
