"""RowSample: a mergeable uniform sample of rows (the continuous fields) of a window.

Bottom-k sampling: every record gets a priority from a hash of its identity (partition and
offset on a feed), and the sample keeps the k rows of smallest priority. Merging two samples
keeps the k smallest of their union, so a window's sample is the same however its records
were split across partitions and workers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pybase64

from app.codecs.columns import Columns, number
from app.errors import SketchError

SAMPLE_SIZE = 200
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def priorities(keys: np.ndarray) -> np.ndarray:
    """splitmix64 of uint64 keys, as floats in [0, 1)."""
    with np.errstate(over="ignore"):
        z = keys.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = (z ^ (z >> np.uint64(31))) & _MASK
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def record_keys(partitions: Sequence[int], offsets: Sequence[int]) -> np.ndarray:
    return (np.asarray(partitions, dtype=np.uint64) << np.uint64(44)) | np.asarray(
        offsets, dtype=np.uint64
    )


@dataclass(frozen=True)
class RowSample:
    fields: tuple[str, ...]
    priority: np.ndarray  # (n,) ascending
    rows: np.ndarray  # (n, len(fields)), NaN where a value was missing or not numeric
    k: int = SAMPLE_SIZE

    @classmethod
    def empty(cls, fields: Sequence[str], k: int = SAMPLE_SIZE) -> RowSample:
        return cls(tuple(fields), np.empty(0), np.empty((0, len(fields))), k)

    def __len__(self) -> int:
        return len(self.priority)

    def threshold(self) -> float:
        return float(self.priority[-1]) if len(self) >= self.k else 1.0

    def offer(self, records: Sequence[Mapping[str, Any]] | Columns, keys: np.ndarray) -> RowSample:
        """The sample after seeing ``records`` (identified by ``keys``)."""
        pri = priorities(keys)
        chosen = np.flatnonzero(pri < self.threshold())
        if len(chosen) > self.k:  # only the batch's k smallest can make it into the sample
            chosen = chosen[np.argpartition(pri[chosen], self.k)[: self.k]]
        if not len(chosen):
            return self
        if isinstance(records, Columns):
            rows = records.matrix(self.fields, chosen)
        else:
            rows = np.array(
                [[number(records[i].get(f)) for f in self.fields] for i in chosen.tolist()],
                dtype=np.float64,
            ).reshape(len(chosen), len(self.fields))
        return self._keep(
            np.concatenate([self.priority, pri[chosen]]), np.vstack([self.rows, rows])
        )

    def merge(self, other: RowSample) -> RowSample:
        if other.fields != self.fields:
            raise SketchError("cannot merge row samples of different fields")
        return self._keep(
            np.concatenate([self.priority, other.priority]), np.vstack([self.rows, other.rows])
        )

    def _keep(self, priority: np.ndarray, rows: np.ndarray) -> RowSample:
        order = np.argsort(priority, kind="stable")[: self.k]
        return RowSample(self.fields, priority[order], rows[order], self.k)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fields": list(self.fields),
            "k": self.k,
            "priority": pybase64.b64encode(self.priority.astype("<f8").tobytes()).decode(),
            "rows": pybase64.b64encode(self.rows.astype("<f8").tobytes()).decode(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RowSample:
        try:
            fields = tuple(str(f) for f in data["fields"])
            priority, rows = _floats(data["priority"]), _floats(data["rows"])
            return cls(fields, priority, rows.reshape(len(priority), len(fields)), int(data["k"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SketchError(f"malformed row sample: {exc}") from exc


def _floats(text: str) -> np.ndarray:
    return np.frombuffer(pybase64.b64decode(text, validate=True), dtype="<f8").copy()
