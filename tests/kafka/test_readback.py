"""Time bounds of a read-back, with a client whose first answers have errors (pure logic:
the broker itself is in tests/integration/test_readback.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.errors import KafkaError
from app.kafka import readback


@dataclass
class _Answer:
    partition: int
    offset: int
    error: Any = None


class _Consumer:
    """Offsets: ``ms // 1000 - 100`` per partition; ``failing`` partitions answer with an
    error the first ``failures`` times they are asked."""

    def __init__(self, failing: set[int], failures: int) -> None:
        self.failing = failing
        self.failures = failures
        self.asked: list[list[int]] = []

    def offsets_for_times(self, asked: list[Any], timeout: float) -> list[_Answer]:
        self.asked.append([tp.partition for tp in asked])
        out = []
        for tp in asked:
            if tp.partition in self.failing and self.failures > 0:
                out.append(_Answer(tp.partition, -1, "Broker: Leader not available"))
            else:
                out.append(_Answer(tp.partition, tp.offset // 1000 - 100))
        self.failures -= 1
        return out


def test_a_partition_answered_with_an_error_is_asked_again() -> None:
    consumer = _Consumer(failing={2}, failures=2)
    got = readback._offsets_at(consumer, "t", [0, 1, 2], 300_000)  # type: ignore[arg-type]
    assert got == {0: 200, 1: 200, 2: 200}
    assert consumer.asked == [[0, 1, 2], [2], [2]]


def test_an_error_that_stays_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readback, "OFFSETS_SECONDS", 0.3)
    consumer = _Consumer(failing={1}, failures=10**6)
    with pytest.raises(KafkaError, match=r"partitions 1 \(Broker: Leader not available\)"):
        readback._offsets_at(consumer, "t", [0, 1], 300_000)  # type: ignore[arg-type]
