"""The windows a worker is still filling, across all partitions it owns.

Records of one window from several partitions share one profile builder (one set of sketch
calls per batch, not one per partition); while a backlog is read, a window's records wait
and are profiled together (up to ``PROFILE_RECORDS``), once the reader has caught up they
are profiled as they come. A window closes once every partition that fed it
is done with it (moved on to a later window or, count windows, read to the window's last
offset) and no other partition of this worker is still behind it (those would send it
records later, in a second partial: reading a backlog, partitions move unevenly); one
behind is waited for up to ``wait_seconds``, and at most ``MAX_WAITING`` windows wait. Its
profile is then published as a partial for the aggregator, naming the partitions it
covers. Windows drained at a revoke go with the partitions done with them, so the
aggregator need not wait for those partitions' next owner. ADWIN runs per partition (in
offset order), so its alarms do not depend on which worker owns which partition. With
``checkpoints``, each partition's ADWIN state is stored when one of its windows is
published (at most every ``CHECKPOINT_SECONDS``, and always when windows are drained),
with the last offset it saw; the worker that reads the partition next (after a restart or
a rebalance) continues from it and does not feed ADWIN the records it saw already.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from app.codecs.columns import Columns
from app.detectors.adwin import AdwinMonitor
from app.errors import DriftmendError
from app.profile.builder import ProfileBuilder
from app.profile.sample import record_keys
from app.profile.window import WindowProfile
from app.worker.batch import NO_TIME, Batch, joined, take

CHECKPOINT_SECONDS = 5.0  # a later state is as good: records after its offset are fed again
WAIT_SECONDS = 1.0  # for a partition behind a window its other partitions have left
MAX_WAITING = 8  # windows that wait so (each holds its sketches)
# a window's records wait for more of it up to this many, then are profiled as one batch:
# a consumer batch brings a window a run of records of each of a few partitions, and a
# call of the profile builder costs ~2.5 ms for 20 fields whatever its size (1,000 Avro
# records: 6.2 us a record; 10,000: 3.9)
PROFILE_RECORDS = 16_384
MAX_PENDING = 65_536  # records waiting over all open windows (the oldest are profiled)
log = logging.getLogger(__name__)


class Checkpoints(Protocol):
    """Where each partition's ADWIN state is kept (``app.repository.adwin``)."""

    def load(self, partition: int) -> tuple[bytes, int] | None: ...

    def save(self, partition: int, state: bytes, offset: int) -> None: ...


@dataclass
class _Open:
    builder: ProfileBuilder
    partitions: set[int] = field(default_factory=set)
    first_offsets: dict[int, int] = field(default_factory=dict)
    last_offsets: dict[int, int] = field(default_factory=dict)
    lo_ms: int = NO_TIME
    hi_ms: int = 0
    pending: list[Batch] = field(default_factory=list)  # records not profiled yet

    @property
    def pending_records(self) -> int:
        return sum(len(b.records) for b in self.pending)


class OpenWindows:
    def __init__(
        self,
        feed: str,
        new_builder: Callable[[], ProfileBuilder],
        new_adwin: Callable[[], AdwinMonitor],
        streamed: Callable[[str], bool],
        checkpoints: Checkpoints | None = None,
        wait_seconds: float = WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        last_offset: Callable[[int], int | None] = lambda _window_id: None,
        profile_records: int = PROFILE_RECORDS,
        max_pending: int = MAX_PENDING,
    ) -> None:
        """``streamed(field)``: whether ADWIN watches the field (continuous fields);
        ``last_offset(window)``: a window's last offset in every partition (count windows;
        None for time windows); ``profile_records``, ``max_pending``: how many records of a
        window, and of all, wait to be profiled together."""
        self.feed = feed
        self.last_offset = last_offset
        self.wait_seconds = wait_seconds
        self.clock = clock
        self._waiting: dict[int, float] = {}  # window -> since when it waits
        self.new_builder = new_builder
        self.new_adwin = new_adwin
        self.streamed = streamed
        self.checkpoints = checkpoints
        self._open: dict[int, _Open] = {}
        self._position: dict[int, int] = {}
        self._adwin: dict[int, AdwinMonitor] = {}
        self._fed: dict[int, int] = {}  # per partition, the last offset ADWIN saw
        self._seen: dict[int, int] = {}  # restored: offsets up to here were fed before
        self._saved_at: dict[int, float] = {}
        self._popped: dict[int, int] = {}  # partition -> last offset of the windows popped
        self._pending = 0  # records waiting in the open windows to be profiled
        self.profile_records = profile_records
        self.max_pending = max_pending

    def __len__(self) -> int:
        return len(self._open)

    def add(self, batch: Batch) -> None:
        window = self._open.get(batch.window_id)
        if window is None:
            window = self._open[batch.window_id] = _Open(self.new_builder())
        window.partitions |= batch.partitions
        for p, first in batch.first_offsets.items():
            window.first_offsets[p] = min(window.first_offsets.get(p, first), first)
        for p, last in batch.last_offsets.items():
            window.last_offsets[p] = max(window.last_offsets.get(p, -1), last)
        window.lo_ms = min(window.lo_ms, batch.lo_ms)
        window.hi_ms = max(window.hi_ms, batch.hi_ms)
        window.builder.decode_errors += batch.errors
        for p in batch.partitions:
            self._position[p] = max(self._position.get(p, batch.window_id), batch.window_id)
        if not batch.records:
            return
        window.pending.append(batch)
        self._pending += len(batch.records)
        if self._pending > self.max_pending:
            self.profile_waiting()
        elif window.pending_records >= self.profile_records:
            self._profile_through(batch.window_id)

    def profile_waiting(self) -> None:
        """Profile every record still waiting, in window order (the reader has caught up,
        or too many records wait)."""
        if self._open:
            self._profile_through(max(self._open))

    def _profile_through(self, window_id: int) -> None:
        """Profile the records waiting in the open windows up to ``window_id``, in window
        order (so each partition's records reach ADWIN in offset order)."""
        for wid in sorted(self._open):
            if wid > window_id:
                break
            window = self._open[wid]
            if not window.pending:
                continue
            self._pending -= window.pending_records
            batches, window.pending = window.pending, []
            for batch in joined(batches):
                self._profile(window, batch)

    def _profile(self, window: _Open, batch: Batch) -> None:
        """Sketch a batch of one window's records and feed ADWIN the numeric values."""
        parts = np.asarray(batch.record_partitions)
        keys = (
            record_keys(batch.record_partitions, batch.record_offsets)
            if len(batch.record_offsets) == len(batch.records)
            else None
        )
        records = batch.records
        numeric = window.builder.add(records, keys)  # in any order
        in_order = window.builder.in_order
        if len(batch.partitions) > 1 and np.any(parts[1:] < parts[:-1]):
            # ADWIN reads partition by partition, in offset order: the values of a field with
            # one per record are put in that order; the records only if another field or a
            # restart needs them
            order = np.argsort(parts, kind="stable")
            parts = parts[order]
            aligned = {n for n, v in numeric.items() if in_order and len(v) == len(records)}
            numeric = {n: v[order] if n in aligned else v for n, v in numeric.items()}
            if len(aligned) < len(numeric) or self._seen:
                if isinstance(records, Columns):  # of the columns, ADWIN reads these only
                    records = records.select(
                        n for n in numeric if self.streamed(n) and (n not in aligned or self._seen)
                    )
                records = take(records, order)
        fresh = self._not_seen(batch, parts, records)
        if fresh is not None:  # some records were fed to ADWIN before a restart: not again
            records, parts, in_order = fresh
        for p, last in _last_offsets(batch).items():
            self._fed[p] = max(self._fed.get(p, -1), last)
        for name, values in numeric.items():
            if self.streamed(name):
                for p, chunk in self._per_partition(name, values, records, parts, in_order):
                    alarms = self._adwin_of(p).update(name, chunk)
                    if alarms:
                        window.builder.add_alarms(name, alarms)

    @staticmethod
    def _per_partition(
        name: str,
        values: np.ndarray,
        records: list[dict[str, Any]] | Columns,
        parts: np.ndarray,
        in_order: bool,
    ) -> list[tuple[int, np.ndarray]]:
        keys, starts = np.unique(parts, return_index=True)
        if in_order and len(values) == len(records):  # one value per record, in order
            return list(zip(keys.tolist(), np.split(values, starts[1:]), strict=True))
        out = []
        bounds = [*starts.tolist(), len(records)]
        for i, p in enumerate(keys.tolist()):
            if isinstance(records, Columns):
                out.append((p, records.numbers(name, bounds[i], bounds[i + 1])))
                continue
            chunk = np.fromiter(
                (
                    v
                    for r in records[bounds[i] : bounds[i + 1]]
                    if type(v := r.get(name)) in (int, float)
                ),
                np.float64,
            )
            out.append((p, chunk[np.isfinite(chunk)]))
        return out

    def _not_seen(
        self, batch: Batch, parts: np.ndarray, records: list[dict[str, Any]] | Columns
    ) -> tuple[list[dict[str, Any]] | Columns, np.ndarray, bool] | None:
        """The batch's records ADWIN has not seen (None: all of them), in partition order."""
        for p in batch.partitions:
            self._adwin_of(p)  # restores the partition's state on its first records
        if not self._seen or len(batch.record_offsets) != len(batch.records):
            return None
        offsets = np.asarray(batch.record_offsets)
        if len(batch.partitions) > 1:
            offsets = offsets[np.argsort(np.asarray(batch.record_partitions), kind="stable")]
        limit = np.asarray([self._seen.get(int(p), -1) for p in parts.tolist()])
        keep = offsets > limit
        for p, last in _last_offsets(batch).items():
            if p in self._seen and last > self._seen[p]:
                del self._seen[p]  # past what was fed before: the rest of it is new
        if keep.all():
            return None
        index = np.flatnonzero(keep)
        return take(records, index), parts[index], False

    def _adwin_of(self, partition: int) -> AdwinMonitor:
        monitor = self._adwin.get(partition)
        if monitor is None:
            monitor = self._restore(partition) or self.new_adwin()
            self._adwin[partition] = monitor
        return monitor

    def _restore(self, partition: int) -> AdwinMonitor | None:
        if self.checkpoints is None:
            return None
        try:
            stored = self.checkpoints.load(partition)
            if stored is None:
                return None
            monitor = AdwinMonitor.restore(stored[0])
        except DriftmendError as exc:
            log.warning("ADWIN of partition %d starts afresh: %s", partition, exc)
            return None
        self._seen[partition] = self._fed[partition] = stored[1]
        return monitor

    def _checkpoint(self, partitions: set[int], force: bool = False) -> None:
        if self.checkpoints is None:
            return
        now = time.monotonic()
        for p in sorted(partitions):
            monitor, offset = self._adwin.get(p), self._fed.get(p)
            if monitor is None or offset is None:
                continue
            if not force and now - self._saved_at.get(p, -CHECKPOINT_SECONDS) < CHECKPOINT_SECONDS:
                continue
            self._saved_at[p] = now
            try:
                self.checkpoints.save(p, monitor.state(), offset)
            except DriftmendError as exc:
                log.warning("ADWIN state of partition %d not stored: %s", p, exc)

    def closable(self) -> list[WindowProfile]:
        """Pop the windows every contributing partition is done with, unless another
        partition is behind them (for a while)."""
        now = self.clock()
        done, waiting = [], []
        for wid, w in self._open.items():
            if self._done(wid) != w.partitions:
                continue
            behind = any(at < wid for p, at in self._position.items() if p not in w.partitions)
            if behind and now - self._waiting.setdefault(wid, now) < self.wait_seconds:
                waiting.append(wid)
            else:
                done.append(wid)
        waiting.sort()
        done += waiting[: max(len(waiting) - MAX_WAITING, 0)]  # the oldest go
        return [self._pop(wid) for wid in sorted(done)]

    def drain(
        self, partitions: Sequence[int] | None = None
    ) -> list[tuple[WindowProfile, frozenset[int]]]:
        """Pop every open window, each with its partitions that are done with it: they moved
        past it or were read to its last offset, so nothing more of them comes for it
        (``partitions`` given: forget those partitions too)."""
        done = {wid: self._done(wid) for wid in self._open}
        out = [(self._pop(wid), done[wid]) for wid in sorted(done)]
        self._checkpoint(set(self._adwin), force=True)
        for p in partitions or ():
            self._position.pop(p, None)
            self._adwin.pop(p, None)
            self._fed.pop(p, None)
            self._seen.pop(p, None)
            self._saved_at.pop(p, None)
        return out

    def _done(self, window_id: int) -> frozenset[int]:
        w, last = self._open[window_id], self.last_offset(window_id)
        return frozenset(
            p
            for p in w.partitions
            if self._position.get(p, window_id) > window_id
            or (last is not None and w.last_offsets.get(p, -1) >= last)
        )

    def popped(self) -> dict[int, int]:
        """Per partition popped from since the last call, the offset up to which all of
        it is popped: the last of its popped windows, or short of a window of it still open
        (a window closes once all its partitions moved on, so a later one can go first)."""
        out, self._popped = self._popped, {}
        for w in self._open.values():
            for p in out.keys() & w.first_offsets.keys():
                out[p] = min(out[p], w.first_offsets[p] - 1)
        return out

    def _pop(self, window_id: int) -> WindowProfile:
        self._profile_through(window_id)
        w = self._open.pop(window_id)
        self._waiting.pop(window_id, None)
        for p, last in w.last_offsets.items():
            self._popped[p] = max(self._popped.get(p, -1), last)
        self._checkpoint(w.partitions)
        return w.builder.snapshot(
            self.feed,
            window_id,
            w.lo_ms if w.lo_ms < NO_TIME else 0,
            w.hi_ms,
            frozenset(w.partitions),
        )


def _last_offsets(batch: Batch) -> dict[int, int]:
    """The last offset of each partition's records in ``batch``."""
    if not batch.record_offsets:
        return {}
    offsets, parts = np.asarray(batch.record_offsets), np.asarray(batch.record_partitions)
    return {int(p): int(offsets[parts == p].max()) for p in np.unique(parts).tolist()}
