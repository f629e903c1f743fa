"""A consumer batch read once: what goes to the profiler, which offsets the batch frees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.worker.polled import Polled


@dataclass
class Msg:
    p: int
    o: int
    v: bytes | None = b"{}"
    err: Any = None

    def partition(self) -> int:
        return self.p

    def offset(self) -> int:
        return self.o

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_000 + self.o)

    def value(self) -> bytes | None:
        return self.v

    def key(self) -> bytes:
        return f"k{self.o}".encode()

    def headers(self) -> list[tuple[str, bytes]]:
        return [("h", str(self.o).encode())]

    def error(self) -> Any:
        return self.err


def test_tombstones_and_errors_are_not_profiled_but_empty_values_are() -> None:
    msgs = [Msg(0, 0), Msg(1, 0, None), Msg(0, 1, b""), Msg(1, 1, err="boom"), Msg(1, 2)]
    raw = Polled.of(msgs).raw_batch("in")  # type: ignore[arg-type]
    assert raw.values == [b"{}", b"", b"{}"]
    assert (raw.partitions, raw.offsets) == ([0, 0, 1], [0, 1, 2])
    assert raw.keys == [b"k0", b"k1", b"k2"] and raw.timestamps == [1_000, 1_001, 1_002]
    assert raw.headers[1] == [("h", b"1")]


def test_a_clean_batch_keeps_every_record_in_order() -> None:
    msgs = [Msg(i % 3, i // 3) for i in range(9)]
    raw = Polled.of(msgs).raw_batch("in")  # type: ignore[arg-type]
    assert list(zip(raw.partitions, raw.offsets, strict=True)) == [(m.p, m.o) for m in msgs]


def test_the_backlog_mark_goes_with_the_batch_with_or_without_tombstones() -> None:
    clean, with_tombstone = [Msg(0, 0), Msg(0, 1)], [Msg(0, 0), Msg(0, 1, None)]
    for msgs in (clean, with_tombstone):
        polled = Polled.of(msgs)  # type: ignore[arg-type]
        assert polled.raw_batch("in", backlog=True).backlog
        assert not polled.raw_batch("in").backlog


def test_next_offsets_pass_the_last_record_of_each_partition_tombstones_included() -> None:
    msgs = [Msg(0, 4), Msg(2, 7, None), Msg(0, 5), Msg(2, 8, err="x"), Msg(1, 0)]
    got = {(tp.topic, tp.partition, tp.offset) for tp in Polled.of(msgs).next_offsets("in")}  # type: ignore[arg-type]
    assert got == {("in", 0, 6), ("in", 2, 8), ("in", 1, 1)}


def test_extend_appends_a_run_of_another_batch() -> None:
    batch = Polled.of([Msg(0, o) for o in range(6)])  # type: ignore[arg-type]
    held = Polled()
    held.extend(batch, 1, 3)
    held.extend(batch, 4)
    assert held.offsets == [1, 2, 4, 5] and len(held) == 4
    assert held.keys == [b"k1", b"k2", b"k4", b"k5"]
    assert held.headers[0] == [("h", b"1")] and held.timestamps == [1_001, 1_002, 1_004, 1_005]
