"""Profiler processes sharing partitions: who owns a partition, how a batch is cut."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.worker.profiler import RawBatch
from app.worker.profilers import Shards, split


def test_partitions_stay_with_their_profiler_and_new_ones_go_to_the_least_loaded() -> None:
    shards = Shards(2)
    assert [shards.of(p) for p in (4, 0, 2, 4, 0)] == [0, 1, 0, 0, 1]
    shards.release([4, 2])
    assert shards.of(7) == 0 and shards.of(9) == 0 and shards.of(0) == 1


@given(
    st.lists(st.tuples(st.integers(0, 5), st.binary(max_size=3)), max_size=60),
    st.integers(1, 3),
    st.booleans(),
)
def test_a_batch_is_cut_by_owner_keeping_each_partition_in_order(
    rows: list[tuple[int, bytes]], size: int, backlog: bool
) -> None:
    raw = RawBatch("in", backlog=backlog)
    for i, (p, value) in enumerate(rows):
        raw.values.append(value)
        raw.keys.append(None if i % 2 else b"k")
        raw.headers.append([("i", str(i).encode())])
        raw.partitions.append(p)
        raw.offsets.append(i)
        raw.timestamps.append(1_000 + i)
    shards = Shards(size)
    parts = split(raw, shards)
    seen = sorted(o for b in parts.values() for o in b.offsets)
    assert seen == list(range(len(rows)))  # every record once
    for owner, batch in parts.items():
        assert batch.topic == "in" and batch.offsets == sorted(batch.offsets)
        assert batch.backlog == backlog
        assert {shards.of(p) for p in batch.partitions} <= {owner}
        for j, i in enumerate(batch.offsets):  # the columns stay aligned
            assert batch.values[j] == rows[i][1] and batch.partitions[j] == rows[i][0]
            assert batch.headers[j] == [("i", str(i).encode())]
            assert batch.keys[j] == (None if i % 2 else b"k")
            assert batch.timestamps[j] == 1_000 + i
