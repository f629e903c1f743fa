"""A window's records from one consumer batch, as the profiler hands them to the open
windows, and a window's batches joined into as few as the profile builder can take at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain, groupby
from typing import Any, cast

import numpy as np

from app.codecs.columns import Columns, concat, pick

NO_TIME = 2**62


@dataclass
class Batch:
    """Decoded records of one window from one consumer batch, with each one's partition."""

    window_id: int
    records: list[dict[str, Any]] | Columns = field(default_factory=list)
    record_partitions: list[int] = field(default_factory=list)
    record_offsets: list[int] = field(default_factory=list)
    partitions: set[int] = field(default_factory=set)
    first_offsets: dict[int, int] = field(default_factory=dict)  # of every record, bad too
    last_offsets: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    lo_ms: int = NO_TIME
    hi_ms: int = 0


def joined(batches: list[Batch]) -> list[Batch]:
    """A window's waiting batches, consecutive ones joined where their records can be one
    batch (columns of the same fields and types, or records; with offsets or without)."""
    out: list[Batch] = []
    for _, run in groupby(batches, key=_shape):
        group = list(run)
        if len(group) == 1:
            out.append(group[0])
            continue
        records: list[dict[str, Any]] | Columns | None
        if isinstance(group[0].records, Columns):  # all of them (one shape)
            records = concat([cast(Columns, b.records) for b in group])
            if records is None:
                out += group
                continue
        else:
            records = [r for b in group for r in cast(list[dict[str, Any]], b.records)]
        out.append(
            Batch(
                group[0].window_id,
                records,
                record_partitions=list(chain.from_iterable(b.record_partitions for b in group)),
                record_offsets=list(chain.from_iterable(b.record_offsets for b in group)),
                partitions=set().union(*(b.partitions for b in group)),
            )
        )
    return out


def _shape(batch: Batch) -> tuple[bool, bool]:
    return isinstance(batch.records, Columns), len(batch.record_offsets) == len(batch.records)


def take(records: Sequence[Any] | Columns, index: np.ndarray) -> Any:
    """``records`` at ``index``, in its order."""
    if isinstance(records, Columns):
        return records.take(index)
    return pick(records, index)
