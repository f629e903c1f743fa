"""Columns: decoded records of one batch held field by field, all of one length.

Codecs that can decode a batch straight into columns hand these to the profiler instead of
one dict per record; the profile builder and the row sample read them without building
records. A column is an Arrow array (``AvroCodec``: typed values) or a list of the values
as Python objects (``JsonCodec``: any JSON value, read exactly as in a record). ``rows``
gives the records back where a caller needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa

Column: TypeAlias = pa.Array | list[Any]
RUN_LENGTH = 16  # items per run of consecutive ones from which slicing beats picking each


@dataclass(frozen=True)
class Columns:
    arrays: dict[str, Column]
    length: int

    def __len__(self) -> int:
        return self.length

    def take(self, index: np.ndarray) -> Columns:
        """The records at ``index``, in its order."""
        index = np.asarray(index, dtype=np.int64)
        from_list = picker(index)
        at: pa.Array | None = None
        out: dict[str, Column] = {}
        for name, column in self.arrays.items():
            if isinstance(column, list):
                out[name] = from_list(column)
            else:
                at = pa.array(index) if at is None else at
                out[name] = column.take(at)
        return Columns(out, len(index))

    def select(self, names: Iterable[str]) -> Columns:
        """Only the columns ``names`` (those of them there are), the same records."""
        return Columns({n: self.arrays[n] for n in names if n in self.arrays}, self.length)

    def rows(self) -> list[dict[str, Any]]:
        if not self.arrays:
            return [{} for _ in range(self.length)]
        names = list(self.arrays)
        columns = [c if isinstance(c, list) else c.to_pylist() for c in self.arrays.values()]
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]

    def numbers(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The finite numeric values of a field (ints and floats, not booleans) in records
        ``start:stop``; empty for a field that is missing or not numeric."""
        column = self.arrays.get(name)
        values: np.ndarray
        if column is None:
            return np.empty(0)
        if isinstance(column, list):
            values = np.fromiter(
                (v for v in column[start:stop] if type(v) in (int, float)), np.float64
            )
        elif _numeric(column.type):
            part = column.slice(start, None if stop is None else stop - start).drop_null()
            values = np.asarray(part.to_numpy(zero_copy_only=False), dtype=np.float64)
        else:
            return np.empty(0)
        finite: np.ndarray = values[np.isfinite(values)]
        return finite

    def matrix(self, fields: Sequence[str], index: np.ndarray) -> np.ndarray:
        """Rows ``index`` of ``fields`` as floats, NaN where a value is null or not numeric."""
        out = np.full((len(index), len(fields)), np.nan)
        from_list = picker(index)
        at: pa.Array | None = None
        for j, name in enumerate(fields):
            column = self.arrays.get(name)
            if isinstance(column, list):
                out[:, j] = list(map(number, from_list(column)))
            elif column is not None and _numeric(column.type):
                at = pa.array(np.asarray(index, dtype=np.int64)) if at is None else at
                taken = column.take(at).cast(pa.float64())
                out[:, j] = taken.fill_null(np.nan).to_numpy(zero_copy_only=False)
        return out


def concat(parts: Sequence[Columns]) -> Columns | None:
    """The records of ``parts`` one after another; None when they cannot be one batch
    (other field names, or an Arrow type that differs)."""
    names = list(parts[0].arrays)
    if any(p.arrays.keys() != parts[0].arrays.keys() for p in parts[1:]):
        return None
    out: dict[str, Column] = {}
    for name in names:
        columns = [p.arrays[name] for p in parts]
        if all(isinstance(c, list) for c in columns):
            out[name] = list(chain.from_iterable(columns))
        elif any(isinstance(c, list) for c in columns):
            return None
        else:
            try:
                out[name] = pa.concat_arrays(columns)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return None
    return Columns(out, sum(len(p) for p in parts))


def _numeric(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def number(value: Any) -> float:
    """A value of a numeric field as a float: NaN for a null, a boolean or a non-number."""
    return float(value) if type(value) in (int, float) else np.nan


def picker(index: np.ndarray) -> Callable[[Sequence[Any]], list[Any]]:
    """A function that takes the items at ``index`` of a sequence, in its order (the
    selection in C); made once, used for each of several sequences."""
    if len(index) == 0:
        return lambda items: []
    index = np.asarray(index, dtype=np.int64)
    starts = np.flatnonzero(np.diff(index) != 1) + 1
    if len(starts) * RUN_LENGTH < len(index):  # mostly runs of consecutive items: slices
        firsts, lasts = index[np.r_[0, starts]].tolist(), index[np.r_[starts - 1, -1]].tolist()
        spans = [slice(lo, hi + 1) for lo, hi in zip(firsts, lasts, strict=True)]

        def sliced(items: Sequence[Any]) -> list[Any]:
            out: list[Any] = []
            for span in spans:
                out.extend(items[span])
            return out

        return sliced
    get = itemgetter(*index.tolist())
    return lambda items: list(get(items))


def pick(items: Sequence[Any], index: np.ndarray) -> list[Any]:
    """``items`` at ``index``, in its order."""
    return picker(index)(items)
