"""The output gate: real records out, synthetic records interleaved, offsets safe to commit.

With ``hold`` on, a window's records wait here until the window's verdict arrives (it comes
once the window closes, so no record waits longer than about one window), then go out in
their original order per partition with the verdict's synthetic records evenly spaced among
them. With ``hold`` off, records go out at once and synthetic records follow the verdict.

Windows are released in order, so "released through offset o" per partition is a plain
frontier; the ingest loop commits ``min(released, profiled)``. While a transaction commits
the gate is paused: it holds whatever comes and produces nothing until resumed.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from confluent_kafka import Producer

from app.inject.interleave import SYNTHETIC, pattern, shares
from app.inject.synth_process import Result, SynthClient
from app.inject.verdict import Verdict
from app.kafka.produce import produce_blocking
from app.metrics import Metrics
from app.worker.polled import Polled
from app.worker.windows import WindowClock

log = logging.getLogger(__name__)
REMEMBERED = 4096  # decided window ids kept, for records that arrive after their verdict


@dataclass
class _Window:
    msgs: dict[int, Polled] = field(default_factory=dict)  # partition -> its records, in order
    count: int = 0
    last_add: float = 0.0
    verdict: Verdict | None = None
    request: int | None = None
    synthetic: list[bytes] | None = None


class OutputGate:
    def __init__(
        self,
        producer: Producer,
        topic: str,
        feed: str,
        clock: WindowClock,
        same_partitions: bool,
        hold: bool,
        synth: SynthClient | None,
        metrics: Metrics,
        max_hold_seconds: float,
        now: Callable[[], float] = time.monotonic,
        input_topic: str = "",
    ) -> None:
        self.producer = producer
        self.topic = topic
        self.feed = feed
        self.input_topic = input_topic
        self.clock = clock
        self.same = same_partitions
        self.hold = hold
        self.synth = synth
        self.max_hold = max_hold_seconds
        self.now = now
        self._windows: dict[int, _Window] = {}
        self._decided: OrderedDict[int, Verdict] = OrderedDict()
        self._requests: dict[int, int] = {}  # synth request -> window
        self._last_window: dict[int, int] = {}  # partition -> window of its latest record
        self._released: dict[int, int] = {}  # partition -> next offset not yet released
        self._paused = False  # a transaction commits: nothing may be produced
        self._m_synth = metrics.synthetic_records.labels(feed)
        self._m_held = metrics.held_records.labels(feed)
        self._m_timeouts = metrics.hold_timeouts.labels(feed)
        self._m_out = metrics.records_out.labels(feed, topic)

    # -- records in -----------------------------------------------------------------------
    def forward(self, batch: Polled) -> None:
        """Send or hold a consumer batch, a run of records (one partition, one window) at a
        time: the windows are computed for the whole batch, nothing per record but the
        produce call of what goes out at once."""
        if not len(batch):
            return
        now = self.now()
        parts = np.array(batch.partitions, dtype=np.int64)
        offsets = np.array(batch.offsets, dtype=np.int64)
        stamps = np.array(batch.timestamps, dtype=np.int64)
        windows = self._windows_of(parts, offsets, stamps)
        cut = np.flatnonzero((parts[1:] != parts[:-1]) | (windows[1:] != windows[:-1])) + 1
        starts, ends = [0, *cut.tolist()], [*cut.tolist(), len(batch)]
        # partitions with records waiting: nothing of theirs may overtake them, decided or not
        blocked = {p for w in self._windows.values() for p, ms in w.msgs.items() if len(ms)}
        sent = 0
        for a, b in zip(starts, ends, strict=True):
            p, wid = int(parts[a]), int(windows[a])
            window = self._windows.get(wid)
            if window is None:
                window = self._windows[wid] = _Window(verdict=self._decided.get(wid))
            window.count += b - a
            window.last_add = now
            held = window.msgs.setdefault(p, Polled())
            if self._paused or (self.hold and (wid not in self._decided or p in blocked)):
                held.extend(batch, a, b)
                blocked.add(p)
                continue
            self._produce_run(batch, p, a, b)
            sent += b - a
            self._released[p] = max(self._released.get(p, 0), int(offsets[b - 1]) + 1)
        self._m_out.inc(sent)
        self._m_held.set(self.held())

    def _windows_of(self, parts: np.ndarray, offsets: np.ndarray, stamps: np.ndarray) -> np.ndarray:
        """Each record's window; a partition's windows never go back (time windows: late
        timestamps join the partition's current window), so releasing windows in order
        keeps record order."""
        windows = self.clock.windows_of(offsets, stamps)
        for p in np.unique(parts).tolist():
            rows = np.flatnonzero(parts == p)
            ids = np.maximum.accumulate(np.maximum(windows[rows], self._last_window.get(p, 0)))
            windows[rows] = ids
            self._last_window[p] = int(ids[-1])
        return windows

    def held(self) -> int:
        return sum(self.held_in(w) for w in self._windows.values())

    @staticmethod
    def held_in(window: _Window) -> int:
        return sum(len(ms) for ms in window.msgs.values())

    def ahead(self) -> set[int]:
        """Partitions already past the oldest window that still holds records: the ones
        that may wait (``app.worker.backpressure``) while the others catch up and that
        window is decided. Empty when nothing is held."""
        oldest = min((w for w, win in self._windows.items() if self.held_in(win)), default=None)
        if oldest is None:
            return set()
        return {p for p, w in self._last_window.items() if w > oldest}

    def released(self) -> dict[int, int]:
        return dict(self._released)

    # -- verdicts and synthetic records ---------------------------------------------------
    def on_verdict(self, verdict: Verdict, example_seed: int = 0) -> None:
        if verdict.feed != self.feed or verdict.topic != self.input_topic:
            return  # another feed's, or this feed's on another input topic (window ids collide)
        if verdict.window_id in self._decided:
            return
        self._decided[verdict.window_id] = verdict
        while len(self._decided) > REMEMBERED:
            self._decided.popitem(last=False)
        window = self._windows.get(verdict.window_id)
        if window is None:
            return
        window.verdict = verdict
        n = round(verdict.rate * window.count)
        if n > 0 and self.synth is not None:
            example = next((ms.values[0] for ms in window.msgs.values() if len(ms)), None)
            window.request = self.synth.request(
                verdict.baseline_version,
                n,
                verdict.alpha,
                verdict.target,
                verdict.previous,
                example_seed + verdict.window_id,
                example,
            )
            self._requests[window.request] = verdict.window_id

    def on_results(self, results: Iterable[Result]) -> None:
        for result in results:
            wid = self._requests.pop(result.request_id, None)
            window = None if wid is None else self._windows.get(wid)
            if window is None:
                continue
            if result.error:
                log.warning("no synthetic records for window %s: %s", wid, result.error)
            window.synthetic = result.values

    # -- records out ----------------------------------------------------------------------
    def pump(self) -> bool:
        """Release every window that is ready, oldest first; True if any was released."""
        if self._paused:
            return False
        released = False
        now = self.now()
        for wid in sorted(self._windows):
            window = self._windows[wid]
            timed_out = now - window.last_add > self.max_hold
            if window.verdict is None and not timed_out:
                break
            if window.request is not None and window.synthetic is None and not timed_out:
                break
            if window.verdict is None and self.hold and self.held_in(window):
                self._m_timeouts.inc()
                log.warning("window %d: no verdict within %.0f s, released", wid, self.max_hold)
            elif window.request is not None and window.synthetic is None:
                self._m_timeouts.inc()
                log.warning(
                    "window %d: synthetic records not ready within %.0f s, released without",
                    wid,
                    self.max_hold,
                )
            self._release(wid)
            released = True
        self._m_held.set(self.held())
        return released

    def pause(self) -> None:
        """Produce nothing until ``resume`` (while a transaction commits): records are held
        in their windows meanwhile, so a verdict that comes in between still finds them."""
        self._paused = True

    def resume(self) -> None:
        """Produce again. Held, ``pump`` releases what is decided; not held, what was kept
        while paused goes out now (its windows stay, for the synthetic records)."""
        self._paused = False
        if self.hold:
            return
        for wid in sorted(self._windows):
            window = self._windows[wid]
            for p, msgs in window.msgs.items():
                if len(msgs):
                    self._send(msgs, p)
                    window.msgs[p] = Polled()
        self._m_held.set(self.held())

    def release_partitions(self, partitions: Iterable[int]) -> None:
        """Let go of everything held for ``partitions`` (revoked): no synthetic records."""
        parts = set(partitions)
        for wid in sorted(self._windows):
            window = self._windows[wid]
            for p in parts & set(window.msgs):
                self._send(window.msgs.pop(p), p)
        for p in parts:
            self._last_window.pop(p, None)
        self._m_held.set(self.held())

    def release_all(self) -> None:
        for wid in sorted(self._windows):
            self._release(wid, synthetic=False)

    def _release(self, wid: int, synthetic: bool = True) -> None:
        window = self._windows.pop(wid)
        if window.request is not None and window.synthetic is None:
            self._requests.pop(window.request, None)
            if self.synth is not None:
                self.synth.cancel(window.request)
        values = (window.synthetic or []) if synthetic else []
        verdict = window.verdict
        sizes = {p: len(ms) for p, ms in window.msgs.items()}
        if not any(sizes.values()):
            sizes = {p: 1 for p in window.msgs} or {-1: 1}
        share = shares(len(values), sizes)
        headers = _synthetic_headers(verdict) if verdict is not None else []
        taken = 0
        for p, msgs in window.msgs.items() or [(-1, Polled())]:
            if not share.get(p, 0):  # no synthetic records here: the real ones as they came
                self._produce_run(msgs, p)
                self._released_through(p, msgs)
                continue
            ts = msgs.timestamps[0] if len(msgs) else 0
            for i in pattern(len(msgs), share.get(p, 0)):
                if i == SYNTHETIC:
                    args = (self.topic, values[taken], None, p if self.same else -1)
                    produce_blocking(self.producer, (*args, None, None, max(ts, 0), headers))
                    taken += 1
                else:
                    ts = msgs.timestamps[i]
                    self._produce_run(msgs, p, i, i + 1)
            self._released_through(p, msgs)
        self._m_out.inc(taken + sum(len(ms) for ms in window.msgs.values()))
        if taken:
            self._m_synth.inc(taken)

    def _send(self, msgs: Polled, partition: int) -> None:
        """Produce held records as they came, counted out and released through."""
        self._m_out.inc(len(msgs))
        self._produce_run(msgs, partition)
        self._released_through(partition, msgs)

    def _released_through(self, partition: int, msgs: Polled) -> None:
        if len(msgs):  # a partition's offsets only grow
            last = msgs.offsets[-1] + 1
            self._released[partition] = max(self._released.get(partition, 0), last)

    def _produce_run(
        self, msgs: Polled, partition: int, start: int = 0, stop: int | None = None
    ) -> None:
        """Send records ``start:stop`` as they came (key, value, headers, timestamp), in
        one loop."""
        produce, topic, part = self.producer.produce, self.topic, partition if self.same else -1
        run = zip(
            msgs.values[start:stop],
            msgs.keys[start:stop],
            msgs.timestamps[start:stop],
            msgs.headers[start:stop],
            strict=True,
        )
        for value, key, ts, headers in run:
            args = (topic, value, key, part, None, None, max(ts, 0), headers)
            try:
                produce(*args)
            except BufferError:
                produce_blocking(self.producer, args)


def _synthetic_headers(verdict: Verdict) -> list[tuple[str, Any]]:
    return [
        ("driftmend-synthetic", b"1"),
        ("driftmend-drift-event", verdict.event_id.encode()),
        ("driftmend-baseline-version", str(verdict.baseline_version).encode()),
        ("driftmend-alpha", f"{verdict.alpha:.3f}".encode()),
    ]
