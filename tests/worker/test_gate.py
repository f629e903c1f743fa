"""The output gate: held records, verdicts, interleaved synthetic records, the frontier.

Pure logic around a producer: the producer and the synthesis client are recorders here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.inject.interleave import SYNTHETIC, pattern
from app.inject.synth_process import Result
from app.inject.verdict import Verdict
from app.metrics import Metrics
from app.worker.gate import OutputGate
from app.worker.polled import Polled
from app.worker.windows import WindowClock

FEED = "orders"


@dataclass
class Msg:
    p: int
    o: int
    ts: int = 1_000

    def partition(self) -> int:
        return self.p

    def offset(self) -> int:
        return self.o

    def timestamp(self) -> tuple[int, int]:
        return (1, self.ts)

    def value(self) -> bytes:
        return f"{self.p}:{self.o}".encode()

    def key(self) -> bytes:
        return b"k"

    def headers(self) -> list[tuple[str, bytes]]:
        return [("trace", b"1")]

    def error(self) -> None:
        return None


@dataclass
class Recorder:
    sent: list[tuple[Any, ...]] = field(default_factory=list)

    def produce(self, *args: Any) -> None:
        self.sent.append(args)

    def values(self) -> list[bytes]:
        return [a[1] for a in self.sent]


@dataclass
class FakeSynth:
    asked: list[tuple[Any, ...]] = field(default_factory=list)

    cancelled: list[int] = field(default_factory=list)

    def request(self, *args: Any) -> int:
        self.asked.append(args)
        return len(self.asked)

    def cancel(self, request_id: int) -> None:
        self.cancelled.append(request_id)


class Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


def gate(
    hold: bool = True, synth: FakeSynth | None = None, input_topic: str = ""
) -> tuple[OutputGate, Recorder, Clock]:
    producer, clock = Recorder(), Clock()
    g = OutputGate(
        producer,  # type: ignore[arg-type]
        "out",
        FEED,
        WindowClock(2, window_records=20),  # 10 offsets per partition and window
        True,
        hold,
        synth,  # type: ignore[arg-type]
        Metrics(),
        max_hold_seconds=30.0,
        now=clock,
        input_topic=input_topic,
    )
    return g, producer, clock


def batch(partition: int, offsets: range) -> list[Msg]:
    return [Msg(partition, o) for o in offsets]


def test_records_wait_for_their_windows_verdict() -> None:
    g, out, _ = gate()
    g.forward(Polled.of(batch(0, range(0, 15)) + batch(1, range(0, 5))))
    assert not g.pump() and out.sent == [] and g.held() == 20
    g.on_verdict(Verdict(FEED, 0, 1))
    assert g.pump()
    assert out.values() == [f"0:{o}".encode() for o in range(10)] + [
        f"1:{o}".encode() for o in range(5)
    ]
    assert g.released() == {0: 10, 1: 5}
    assert g.held() == 5  # window 1 of partition 0 still waits


def test_verdicts_of_other_feeds_and_windows_out_of_order_are_respected() -> None:
    g, out, _ = gate()
    g.forward(Polled.of(batch(0, range(0, 25))))
    g.on_verdict(Verdict("other", 0, 1))
    g.on_verdict(Verdict(FEED, 1, 1))
    assert not g.pump()  # window 0 first
    g.on_verdict(Verdict(FEED, 0, 1))
    g.pump()
    assert out.values() == [f"0:{o}".encode() for o in range(20)]


def test_verdicts_for_the_feed_on_another_input_topic_are_ignored() -> None:
    """A feed re-attached to a new topic restarts its window ids: an earlier run's verdicts
    (read back at start) must neither release nor steer this topic's windows."""
    synth = FakeSynth()
    g, out, _ = gate(synth=synth, input_topic="flights.2")
    g.forward(Polled.of(batch(0, range(0, 10))))
    g.on_verdict(Verdict(FEED, 0, 1, rate=1.0, topic="flights.1"))
    assert not g.pump() and out.sent == [] and synth.asked == []
    g.forward(Polled.of(batch(0, range(10, 12))))  # window 1: not decided either
    assert g.held() == 12
    g.on_verdict(Verdict(FEED, 0, 1, rate=0.5, topic="flights.2"))
    assert len(synth.asked) == 1 and synth.asked[0][1] == 5


def test_synthetic_records_are_interleaved_marked_and_proportional() -> None:
    synth = FakeSynth()
    g, out, _ = gate(synth=synth)
    g.forward(Polled.of(batch(0, range(0, 10)) + batch(1, range(0, 10))))
    g.on_verdict(Verdict(FEED, 0, 3, rate=0.5, alpha=0.25, event_id="ev", severity="high"))
    assert synth.asked[0][:3] == (3, 10, 0.25)  # version, n = 0.5 x 20, alpha
    assert not g.pump()  # waits for the samples
    g.on_results([Result(1, [b"s%d" % i for i in range(10)])])
    assert g.pump()
    synthetic = [a for a in out.sent if a[7] and ("driftmend-synthetic", b"1") in a[7]]
    assert len(synthetic) == 10
    assert {a[3] for a in synthetic} == {0, 1}
    assert sum(a[3] == 0 for a in synthetic) == 5
    assert ("driftmend-drift-event", b"ev") in synthetic[0][7]
    assert ("driftmend-baseline-version", b"3") in synthetic[0][7]
    p0 = [a[1] for a in out.sent if a[3] == 0]
    spaced = [i for i, v in enumerate(pattern(10, 5)) if v == SYNTHETIC]
    assert [i for i, v in enumerate(p0) if v.startswith(b"s")] == spaced == [1, 4, 7, 9, 12]
    assert [v for v in p0 if not v.startswith(b"s")] == [f"0:{o}".encode() for o in range(10)]


def test_a_window_without_verdict_goes_out_after_the_hold_limit() -> None:
    g, out, clock = gate()
    g.forward(Polled.of(batch(0, range(0, 5))))
    clock.t = 29.0
    assert not g.pump()
    clock.t = 31.0
    assert g.pump() and len(out.sent) == 5
    assert g.released() == {0: 5}


def test_missing_samples_do_not_hold_records_forever() -> None:
    synth = FakeSynth()
    g, out, clock = gate(synth=synth)
    g.forward(Polled.of(batch(0, range(0, 10))))
    g.on_verdict(Verdict(FEED, 0, 1, rate=1.0))
    clock.t = 31.0
    assert g.pump() and out.values() == [f"0:{o}".encode() for o in range(10)]
    assert synth.cancelled == [1]  # the request is dropped: later windows need not wait
    g.on_results([Result(1, [b"late"])])  # if it was already being sampled: ignored
    assert not g.pump() and b"late" not in out.values()


def test_records_of_a_decided_window_go_out_at_once() -> None:
    g, out, _ = gate()
    g.forward(Polled.of(batch(0, range(0, 3))))
    g.on_verdict(Verdict(FEED, 0, 1))
    g.pump()
    g.forward(Polled.of(batch(0, range(3, 6))))
    assert len(out.sent) == 6 and g.released() == {0: 6}


def test_revoked_partitions_are_released_without_synthetic_records() -> None:
    g, out, _ = gate(synth=FakeSynth())
    g.forward(Polled.of(batch(0, range(0, 4)) + batch(1, range(0, 4))))
    g.release_partitions([1])
    assert out.values() == [f"1:{o}".encode() for o in range(4)]
    assert g.released() == {1: 4} and g.held() == 4


def test_without_hold_records_go_out_at_once_and_samples_follow() -> None:
    synth = FakeSynth()
    g, out, _ = gate(hold=False, synth=synth)
    g.forward(Polled.of(batch(0, range(0, 10))))
    assert len(out.sent) == 10 and g.released() == {0: 10}
    g.on_verdict(Verdict(FEED, 0, 1, rate=0.3))
    g.on_results([Result(1, [b"a", b"b", b"c"])])
    g.pump()
    assert out.values()[10:] == [b"a", b"b", b"c"]


def test_records_of_a_decided_window_never_overtake_held_ones() -> None:
    """Found by the rebalance fault run: a window decided while older records of the same
    partition still waited (for their verdict, or for synthetic records) let later records
    out first."""
    synth = FakeSynth()
    g, out, _ = gate(synth=synth)
    g.forward(Polled.of(batch(0, range(0, 5))))  # window 0, waiting for its verdict
    g.on_verdict(Verdict(FEED, 0, 1, rate=0.4))  # decided: two synthetic records asked
    g.forward(Polled.of(batch(0, range(5, 7))))  # more of window 0 while they are being made
    g.on_verdict(Verdict(FEED, 1, 1))  # window 1 decided too (its grace ran out)
    g.forward(Polled.of(batch(0, range(10, 13))))  # window 1's records: they wait behind window 0
    assert not g.pump() and out.sent == [] and g.held() == 10
    g.on_results([Result(1, [b"s1", b"s2"])])
    assert g.pump()
    real = [v for v in out.values() if v not in (b"s1", b"s2")]
    assert real == [f"0:{o}".encode() for o in [*range(0, 7), *range(10, 13)]]
    g.forward(Polled.of(batch(0, range(13, 15))))  # nothing held any more: straight out
    assert out.values()[-2:] == [b"0:13", b"0:14"] and g.held() == 0


@st.composite
def interleaved(draw: st.DrawFn) -> tuple[list[list[Msg]], set[int]]:
    """Consumer batches of three partitions (offsets rising per partition, timestamps that
    sometimes go back) and the window ids decided before they arrive."""
    offsets = [0, 0, 0]
    batches = []
    for _ in range(draw(st.integers(1, 4))):
        msgs = []
        for p, ts in draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 5_000)))):
            msgs.append(Msg(p, offsets[p], ts))
            offsets[p] += 1
        batches.append(msgs)
    return batches, set(draw(st.lists(st.integers(0, 5), max_size=4)))


@given(interleaved(), st.booleans())
def test_forward_by_runs_matches_the_per_record_rule(
    case: tuple[list[list[Msg]], set[int]], hold: bool
) -> None:
    """Each record's window is the most recent one its partition reached; it goes out at
    once when its window is decided and nothing of its partition waits, else it is held."""
    batches, decided = case
    producer, clock = Recorder(), WindowClock(3, window_seconds=1.0)
    g = OutputGate(
        producer,  # type: ignore[arg-type]
        "out",
        FEED,
        clock,
        True,
        hold,
        None,
        Metrics(),
        max_hold_seconds=30.0,
        now=Clock(),
    )
    for wid in decided:
        g.on_verdict(Verdict(FEED, wid, 1))
    last: dict[int, int] = {}
    held: dict[tuple[int, int], list[bytes]] = {}
    sent: list[bytes] = []
    for msgs in batches:
        g.forward(Polled.of(msgs))
        for m in msgs:  # the reference, record by record
            wid = last[m.p] = max(clock.window_of(m.o, m.ts), last.get(m.p, 0))
            waiting = any(p == m.p and ms for (_, p), ms in held.items())
            if hold and (wid not in decided or waiting):
                held.setdefault((wid, m.p), []).append(m.value())
            else:
                sent.append(m.value())
    assert producer.values() == sent
    assert g.held() == sum(map(len, held.values()))
    for (wid, p), values in held.items():
        assert g._windows[wid].msgs[p].values == values


def test_paused_nothing_goes_out_and_a_verdict_meanwhile_counts_every_record() -> None:
    synth = FakeSynth()
    g, out, _ = gate(synth=synth)
    g.forward(Polled.of(batch(0, range(0, 4))))
    g.on_verdict(Verdict(FEED, 0, 1))
    g.pump()
    g.pause()  # a transaction commits
    g.forward(Polled.of(batch(0, range(4, 8)) + batch(1, range(0, 10))))
    g.on_verdict(Verdict(FEED, 0, 1))  # repeated: ignored
    assert not g.pump() and len(out.sent) == 4 and g.held() == 14
    g.resume()
    assert g.pump()
    assert out.values()[4:] == [f"0:{o}".encode() for o in range(4, 8)] + [
        f"1:{o}".encode() for o in range(10)
    ]
    assert g.released() == {0: 8, 1: 10} and g.held() == 0


def test_paused_a_window_decided_meanwhile_gets_synthetic_records_for_all_it_holds() -> None:
    synth = FakeSynth()
    g, _, _ = gate(synth=synth)
    g.pause()
    g.forward(Polled.of(batch(0, range(0, 10)) + batch(1, range(0, 10))))
    g.on_verdict(Verdict(FEED, 0, 1, rate=0.5))
    assert synth.asked[0][1] == 10  # 0.5 x the 20 records held while paused


def test_without_hold_records_kept_while_paused_go_out_on_resume() -> None:
    synth = FakeSynth()
    g, out, _ = gate(hold=False, synth=synth)
    g.pause()
    g.forward(Polled.of(batch(0, range(0, 10))))
    assert out.sent == [] and g.released() == {}
    g.resume()
    assert out.values() == [f"0:{o}".encode() for o in range(10)] and g.released() == {0: 10}
    g.on_verdict(Verdict(FEED, 0, 1, rate=0.2))
    g.on_results([Result(1, [b"a", b"b"])])
    g.pump()
    assert out.values()[10:] == [b"a", b"b"]
