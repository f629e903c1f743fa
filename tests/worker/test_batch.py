"""A window's batches joined for the profile builder: consecutive ones of one shape become
one batch with every record, partition and offset in order; others stay apart."""

from __future__ import annotations

import pyarrow as pa

from app.codecs.columns import Columns
from app.worker.batch import Batch, joined


def _columns(partition: int, offsets: list[int], column: pa.Array) -> Batch:
    return Batch(
        3,
        Columns({"x": column}, len(column)),
        record_partitions=[partition] * len(offsets),
        record_offsets=offsets,
        partitions={partition},
    )


def test_consecutive_batches_of_one_shape_are_joined_in_order() -> None:
    a = _columns(0, [5, 6], pa.array([1.0, 2.0]))
    b = _columns(1, [9], pa.array([3.0]))
    rows = Batch(3, [{"x": 4.0}], record_partitions=[0], record_offsets=[7], partitions={0})
    c = _columns(0, [8], pa.array([5.0]))
    out = joined([a, b, rows, c])
    assert len(out) == 3  # the records between the columns keep them apart
    first = out[0]
    assert isinstance(first.records, Columns)
    assert first.records.arrays["x"].to_pylist() == [1.0, 2.0, 3.0]  # type: ignore[union-attr]
    assert first.record_partitions == [0, 0, 1] and first.record_offsets == [5, 6, 9]
    assert first.partitions == {0, 1} and first.window_id == 3
    assert out[1] is rows and out[2] is c


def test_columns_that_cannot_be_one_batch_stay_apart() -> None:
    a = _columns(0, [1], pa.array([1.0]))
    b = _columns(0, [2], pa.array(["text"]))
    assert joined([a, b]) == [a, b]
