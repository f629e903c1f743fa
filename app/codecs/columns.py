"""Columns: decoded records of one batch held field by field (Arrow arrays of one length).

Codecs that can decode a batch straight into columns (``AvroCodec``) hand these to the
profiler instead of one dict per record; the profile builder and the row sample read them
without building records. ``rows`` gives the records back where a caller needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Columns:
    arrays: dict[str, pa.Array]
    length: int

    def __len__(self) -> int:
        return self.length

    def take(self, index: np.ndarray) -> Columns:
        """The records at ``index``, in its order."""
        at = pa.array(np.asarray(index, dtype=np.int64))
        return Columns({name: a.take(at) for name, a in self.arrays.items()}, len(at))

    def rows(self) -> list[dict[str, Any]]:
        if not self.arrays:
            return [{} for _ in range(self.length)]
        table = pa.Table.from_arrays(list(self.arrays.values()), names=list(self.arrays))
        rows: list[dict[str, Any]] = table.to_pylist()
        return rows

    def numbers(self, name: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The finite numeric values of a field (ints and floats, not booleans) in records
        ``start:stop``; empty for a field that is missing or not numeric."""
        array = self.arrays.get(name)
        if array is None or not _numeric(array.type):
            return np.empty(0)
        part = array.slice(start, None if stop is None else stop - start).drop_null()
        values: np.ndarray = np.asarray(part.to_numpy(zero_copy_only=False), dtype=np.float64)
        finite: np.ndarray = values[np.isfinite(values)]
        return finite

    def matrix(self, fields: Sequence[str], index: np.ndarray) -> np.ndarray:
        """Rows ``index`` of ``fields`` as floats, NaN where a value is null or not numeric."""
        out = np.full((len(index), len(fields)), np.nan)
        at = pa.array(np.asarray(index, dtype=np.int64))
        for j, name in enumerate(fields):
            array = self.arrays.get(name)
            if array is not None and _numeric(array.type):
                taken = array.take(at).cast(pa.float64())
                out[:, j] = taken.fill_null(np.nan).to_numpy(zero_copy_only=False)
        return out


def _numeric(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))
