"""The profiler's batch step: windows, dead letters and published partials (pure logic,
with a producer that records what it is given)."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from hypothesis import given
from hypothesis import strategies as st

from app.baseline import build_baseline
from app.codecs.json import JsonCodec
from app.profile.window import WindowProfile
from app.settings import Settings
from app.worker.options import WorkerOptions
from app.worker.profiler import EARLIER_HEADER, REBALANCE, STATE_HEADER, Profiler, RawBatch
from app.worker.published import PublishedOffsets
from app.worker.routing import parse_earlier, window_partition
from app.worker.windows import WindowClock
from tests.conftest import make_records
from tests.worker.test_published import Store


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def produce(self, *args: Any) -> None:
        self.sent.append(args)

    def poll(self, timeout: float = 0) -> int:
        return 0

    def to(self, topic: str) -> list[tuple[Any, ...]]:
        return [a for a in self.sent if a[0] == topic]


def _profiler(
    window_records: int = 20, profile_partitions: int = 1
) -> tuple[Profiler, Recorder, Settings]:
    records = make_records(np.random.default_rng(0), 500)
    settings = Settings(max_record_bytes=400)
    options = WorkerOptions("f", "in", "in.healed", JsonCodec(), window_records=window_records)
    recorder = Recorder()
    baseline = build_baseline("f", records, "test")
    profiler = Profiler(
        settings,
        options,
        baseline,
        recorder,  # type: ignore[arg-type]
        2,
        profile_partitions=profile_partitions,
    )
    return profiler, recorder, settings


def _batch(rows: list[bytes], partitions: list[int], offsets: list[int]) -> RawBatch:
    n = len(rows)
    stamps = [1_000 + o for o in offsets]
    return RawBatch("in", rows, [None] * n, [None] * n, partitions, offsets, stamps)


def test_a_batch_across_windows_and_partitions_with_bad_records() -> None:
    profiler, recorder, settings = _profiler(window_records=20)  # 10 offsets per partition
    good = [orjson.dumps(r) for r in make_records(np.random.default_rng(1), 40)]
    rows = [*good[:5], b"{not json", *good[5:35], b'{"x": "' + b"a" * 500 + b'"}', *good[35:]]
    partitions = [i % 2 for i in range(len(rows))]
    offsets = [i // 2 for i in range(len(rows))]  # offsets 0..20 on each partition
    stats = profiler.process(_batch(rows, partitions, offsets))

    letters = recorder.to(settings.dlq_topic)
    assert stats.dead_lettered == 2 and len(letters) == 2
    headers = [dict(a[7]) for a in letters]
    assert [h["driftmend-source-offset"] for h in headers] == [b"2", b"18"]
    assert [h["driftmend-source-partition"] for h in headers] == [b"1", b"0"]
    assert b"over the 400-byte limit" in headers[1]["driftmend-error"]

    published = [
        WindowProfile.deserialize(a[1]) for a in recorder.to(settings.window_profiles_topic)
    ]
    assert [w.window_id for w in published] == [0, 1]  # window 2 is still open
    assert [w.records + w.decode_errors for w in published] == [20, 20]
    assert [w.decode_errors for w in published] == [1, 1]
    assert all(w.partitions == frozenset({0, 1}) for w in published)
    assert [(w.start_ms, w.end_ms) for w in published] == [(1_000, 1_009), (1_010, 1_019)]
    assert stats.windows_published == 2
    assert [w.window_id for w, _ in profiler.windows.drain()] == [2]


def test_a_revoke_publishes_the_open_windows_then_closes_them_where_done() -> None:
    profiler, recorder, settings = _profiler(window_records=20)  # 10 offsets per partition
    rows = [orjson.dumps(r) for r in make_records(np.random.default_rng(4), 16)]
    # partition 0 read to offset 11 (window 0 whole, then on), partition 1 to offset 3
    profiler.process(_batch(rows, [0] * 12 + [1] * 4, [*range(12), *range(4)]))
    assert not recorder.to(settings.window_profiles_topic)  # window 0 waits for partition 1
    assert profiler.publish_revoked(profiler.windows.drain([1])) == 3
    *sent, marker = recorder.to(settings.window_profiles_topic)
    profiles = [WindowProfile.deserialize(a[1]) for a in sent]
    states = [dict(a[7])[STATE_HEADER] for a in sent]
    assert dict(marker[7])[STATE_HEADER] == REBALANCE.encode()  # one partition: one marker
    assert [(p.window_id, p.records, sorted(p.partitions)) for p in profiles] == [
        (0, 14, [0, 1]),
        (1, 2, [0]),
        (0, 0, [0]),  # empty: it only says partition 0 is done with window 0
    ]
    assert states == [b"revoked", b"revoked", b"closed"]


def test_one_window_without_errors_keeps_every_record() -> None:
    profiler, recorder, _ = _profiler(window_records=10_000)
    rows = [orjson.dumps(r) for r in make_records(np.random.default_rng(2), 300)]
    stats = profiler.process(_batch(rows, [0] * 300, list(range(300))))
    assert stats.dead_lettered == 0 and stats.windows_published == 0
    ((window, _),) = profiler.windows.drain()
    assert window.records == 300 and window.fields["x"].count == 300
    assert not recorder.sent


def test_records_read_from_a_backlog_wait_to_be_profiled_with_the_rest_of_their_window() -> None:
    profiler, _, _ = _profiler(window_records=10_000)
    rows = [orjson.dumps(r) for r in make_records(np.random.default_rng(4), 300)]
    backlog = _batch(rows[:200], [0] * 200, list(range(200)))
    backlog.backlog = True  # a full poll: more records wait
    profiler.process(backlog)
    assert profiler.windows._pending == 200  # not profiled yet
    profiler.process(_batch(rows[200:], [0] * 100, list(range(200, 300))))  # caught up
    assert profiler.windows._pending == 0
    ((window, _),) = profiler.windows.drain()
    assert window.records == 300 and window.fields["x"].count == 300


@given(
    st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 10**13)), min_size=1, max_size=50),
    st.integers(1, 7),
    st.one_of(
        st.tuples(st.integers(1, 10**5), st.none()), st.tuples(st.none(), st.floats(0.01, 1e5))
    ),
)
def test_windows_of_is_window_of_for_a_batch(
    rows: list[tuple[int, int]], partitions: int, size: tuple[int | None, float | None]
) -> None:
    clock = WindowClock(partitions, *size)
    offsets = np.array([o for o, _ in rows], dtype=np.int64)
    stamps = np.array([t for _, t in rows], dtype=np.int64)
    assert clock.windows_of(offsets, stamps).tolist() == [clock.window_of(o, t) for o, t in rows]


def test_a_profiler_that_reads_again_after_a_crash_counts_every_record_once() -> None:
    store = Store()
    rows = [orjson.dumps(r) for r in make_records(np.random.default_rng(3), 60)]
    parts, offsets = [i % 2 for i in range(60)], [i // 2 for i in range(60)]  # 0-29 each
    first, sent, settings = _profiler(window_records=20)  # 10 offsets per partition
    first.published = PublishedOffsets(store)
    first.process(_batch(rows[:50], parts[:50], offsets[:50]))  # windows 0, 1 closed
    first.published.flush()  # the partials acknowledged; then the worker is killed

    second, resent, _ = _profiler(window_records=20)
    second.published = PublishedOffsets(store)
    stats = second.process(_batch(rows, parts, offsets))  # read again from offset 0
    assert stats.republished_skipped == 40
    windows = [
        WindowProfile.deserialize(a[1])
        for r in (sent, resent)
        for a in r.to(settings.window_profiles_topic)
    ]
    windows += [w for w, _ in second.windows.drain()]
    counted: dict[int, int] = {}
    for w in windows:
        counted[w.window_id] = counted.get(w.window_id, 0) + w.records
    assert counted == {0: 20, 1: 20, 2: 20}


def test_every_partial_of_a_window_goes_to_the_partition_of_its_window() -> None:
    profiler, recorder, settings = _profiler(window_records=20, profile_partitions=3)
    good = [orjson.dumps(r) for r in make_records(np.random.default_rng(2), 70)]
    partitions = [i % 2 for i in range(70)]
    offsets = [i // 2 for i in range(70)]  # windows 0-3 (10 offsets each) on both partitions
    profiler.process(_batch(good, partitions, offsets))
    profiler.publish_revoked(profiler.windows.drain([0, 1]))
    sent = recorder.to(settings.window_profiles_topic)
    partials = [a for a in sent if a[7] != [(STATE_HEADER, REBALANCE.encode())]]
    routed = {(WindowProfile.deserialize(a[1]).window_id, a[3]) for a in partials}
    assert {w for w, _ in routed} == {0, 1, 2, 3}
    assert routed == {(w, window_partition(w, 3)) for w in range(4)}
    # and the revoke is announced to every partition (every aggregator of the feed)
    markers = [(a[1], a[2], a[3]) for a in sent if a not in partials]
    assert markers == [(b"", b"f:rebalance", p) for p in range(3)]


def test_every_partial_names_the_windows_sent_before_it() -> None:
    profiler, recorder, settings = _profiler(window_records=20, profile_partitions=3)
    good = [orjson.dumps(r) for r in make_records(np.random.default_rng(2), 70)]
    profiler.process(_batch(good, [i % 2 for i in range(70)], [i // 2 for i in range(70)]))
    named = {
        WindowProfile.deserialize(a[1]).window_id: parse_earlier(dict(a[7])[EARLIER_HEADER])
        for a in recorder.to(settings.window_profiles_topic)
    }
    assert named == {w: [(e, window_partition(e, 3)) for e in range(w)] for w in named}
    assert len(named) >= 2
