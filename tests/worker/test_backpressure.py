"""Back-pressure: partitions ahead of the oldest held window pause at the bound, resume
below it; partitions still in that window are never paused (so it can close).

Pure logic: a real output gate, a consumer that records pause and resume calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka import TopicPartition

from app.inject.verdict import Verdict
from app.metrics import Metrics
from app.worker.backpressure import Backpressure
from app.worker.polled import Polled
from tests.worker.test_gate import FEED, batch, gate


@dataclass
class Switches:
    calls: list[tuple[str, list[int]]] = field(default_factory=list)

    def pause(self, parts: list[TopicPartition]) -> None:
        self.calls.append(("pause", [tp.partition for tp in parts]))

    def resume(self, parts: list[TopicPartition]) -> None:
        self.calls.append(("resume", [tp.partition for tp in parts]))


def pressure(max_held: int) -> Backpressure:
    return Backpressure("in", max_held, Metrics().paused_partitions.labels(FEED))


def test_partitions_ahead_pause_at_the_bound_and_resume_once_judged() -> None:
    g, out, _ = gate()  # 10 offsets per partition and window
    bp, consumer = pressure(30), Switches()
    g.forward(Polled.of(batch(0, range(0, 30)) + batch(1, range(0, 5))))  # p0: windows 0-2
    bp.adjust(consumer, g)  # type: ignore[arg-type]
    assert g.held() == 35 and consumer.calls == [("pause", [0])]  # p1 is still in window 0
    bp.adjust(consumer, g)  # type: ignore[arg-type]
    assert len(consumer.calls) == 1  # no change, no call
    g.forward(Polled.of(batch(1, range(5, 12))))  # p1 reaches window 1: ahead of window 0
    bp.adjust(consumer, g)  # type: ignore[arg-type]
    assert consumer.calls[-1] == ("pause", [1]) and bp.paused == {0, 1}
    g.on_verdict(Verdict(FEED, 0, 1))
    g.pump()  # window 0 out: 22 held, under the bound
    bp.adjust(consumer, g)  # type: ignore[arg-type]
    assert g.held() == 22 and consumer.calls[-1] == ("resume", [0, 1]) and not bp.paused
    assert len(out.sent) == 20


def test_nothing_pauses_under_the_bound_or_with_nothing_held() -> None:
    g, _, _ = gate()
    bp, consumer = pressure(100), Switches()
    g.forward(Polled.of(batch(0, range(0, 30))))
    bp.adjust(consumer, g)  # type: ignore[arg-type]
    assert consumer.calls == [] and g.ahead() == {0}
    g, _, _ = gate(hold=False)
    g.forward(Polled.of(batch(0, range(0, 30))))
    assert g.held() == 0 and g.ahead() == set()


def _both_paused() -> tuple[Backpressure, Switches]:
    g, _, _ = gate()
    bp, consumer = pressure(1), Switches()
    g.forward(Polled.of(batch(0, range(0, 30)) + batch(1, range(0, 30))))
    bp.adjust(consumer, g)  # type: ignore[arg-type]
    assert bp.paused == {0, 1}
    return bp, consumer


def test_forget_drops_the_bookkeeping_of_a_consumer_that_is_gone() -> None:
    bp, _ = _both_paused()
    bp.forget([0])
    assert bp.paused == {1}
    bp.forget()
    assert bp.paused == set()


def test_revoked_partitions_are_resumed_before_they_go() -> None:
    bp, consumer = _both_paused()
    bp.release(consumer, [1, 2])  # type: ignore[arg-type]  # 2 was never paused
    assert consumer.calls[-1] == ("resume", [1]) and bp.paused == {0}
    bp.release(consumer, [2])  # type: ignore[arg-type]
    assert consumer.calls[-1] == ("resume", [1])  # nothing paused among them: no call
