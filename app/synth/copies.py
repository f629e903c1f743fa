"""No copies of training rows: hashes of the training rows' modelled fields, checked at sampling.

In a table of few, coarse fields (Adult: a real holdout row equals some training row one
time in six) a generative model also emits such rows now and then. The model keeps a
64-bit hash per training row over every non-text field; sampled rows with a hash in that
set are rejected (and counted), so no sampled record repeats a training row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from app.synth.columns import Column, Columns
from app.synth.transform import CategoricalCodec, Codec, NumericCodec, numbers

_MIX = np.uint64(0x100000001B3)
_NULL = -1.2345e300


def _column_hash(values: np.ndarray, nulls: np.ndarray) -> np.ndarray:
    """A 64-bit hash per row; a null hashes the same whatever value stands in for it."""
    if values.dtype == object:
        filled = np.where(nulls, "\x00null", values)
        return pd.util.hash_array(filled.astype(object), categorize=False)
    floats = np.where(nulls, _NULL, values.astype(np.float64))
    return pd.util.hash_array(floats)


def _combine(hashes: list[np.ndarray], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for h in hashes:
            out = (out * _MIX) ^ h
    return out


def modelled(codecs: Sequence[Codec]) -> list[NumericCodec | CategoricalCodec]:
    return [c for c in codecs if isinstance(c, (NumericCodec, CategoricalCodec))]


def _hash_of(column: Column) -> np.ndarray:
    """``_column_hash`` of the column; from its pool and codes when it has them (the hash is
    per value, so hashing each category once and indexing gives the same numbers)."""
    if column.codes is None or column.pool is None:
        return _column_hash(column.values, column.nulls)
    pool = np.concatenate([column.pool, column.pool[:1]])  # the last one stands for null
    flags = np.zeros(len(pool), dtype=bool)
    flags[-1] = True
    hashes: np.ndarray = _column_hash(pool, flags)[
        np.where(column.nulls, len(pool) - 1, column.codes)
    ]
    return hashes


def column_hashes(codecs: Sequence[Codec], columns: Columns) -> np.ndarray:
    use = modelled(codecs)
    n = len(next(iter(columns.values())).values) if columns else 0
    return _combine([_hash_of(columns[c.spec.name]) for c in use], n)


def record_hashes(codecs: Sequence[Codec], records: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Sorted unique hashes of the records' modelled fields (decoded like samples are)."""
    parts = []
    for codec in modelled(codecs):
        values = [r.get(codec.spec.name) for r in records]
        if isinstance(codec, NumericCodec):
            x, nulls = numbers(codec.spec.type, values)
        else:
            nulls = np.fromiter((v is None for v in values), bool, len(values))
            x = codec.typed(values)
        parts.append(_column_hash(x, nulls))
    return np.unique(_combine(parts, len(records)))


def is_copy(hashes: np.ndarray, memory: np.ndarray) -> np.ndarray:
    if not len(memory):
        return np.zeros(len(hashes), dtype=bool)
    at = np.clip(np.searchsorted(memory, hashes), 0, len(memory) - 1)
    found: np.ndarray = memory[at] == hashes
    return found
