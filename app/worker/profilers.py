"""Several profiler processes sharing one worker's partitions.

Decoding and sketching are the costliest part of a worker and run in their own process
(``app.worker.profiler``); with ``DRIFTMEND_PROFILERS`` > 1 the partitions are spread over
that many such processes, so they use more cores. A partition stays with its profiler
until it is revoked (its windows, ADWIN state and offsets live there); new partitions go to
the profiler with the fewest. Each profiler publishes partials naming the partitions it
covers, and the aggregator merges partials by partition whichever process (or worker)
sent them, so the drift events do not depend on the number of profilers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from confluent_kafka import TopicPartition

from app.baseline.model import Baseline
from app.codecs.columns import picker
from app.settings import Settings
from app.worker.options import WorkerOptions
from app.worker.profiler import ProfilerClient, RawBatch, Stats

Token = tuple[list[TopicPartition], float]


class Shards:
    """Which profiler owns which partition: sticky until released, new ones to the least
    loaded (ties: the lowest index)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._owner: dict[int, int] = {}

    def of(self, partition: int) -> int:
        owner = self._owner.get(partition)
        if owner is None:
            load = [0] * self.size
            for s in self._owner.values():
                load[s] += 1
            owner = self._owner[partition] = load.index(min(load))
        return owner

    def release(self, partitions: Iterable[int]) -> None:
        for p in partitions:
            self._owner.pop(p, None)


def split(raw: RawBatch, shards: Shards) -> dict[int, RawBatch]:
    """``raw`` cut into one batch per profiler that owns some of its partitions."""
    if shards.size == 1:
        return {0: raw}
    parts = np.asarray(raw.partitions, dtype=np.int64)
    present, where = np.unique(parts, return_inverse=True)
    owners = np.array([shards.of(p) for p in present.tolist()], dtype=np.int64)[where]
    out = {}
    for s in np.unique(owners).tolist():
        take = picker(np.flatnonzero(owners == s))
        out[s] = RawBatch(
            raw.topic,
            *(take(items) for items in (raw.values, raw.keys, raw.headers)),
            *(take(items) for items in (raw.partitions, raw.offsets, raw.timestamps)),
            backlog=raw.backlog,
        )
    return out


class ProfilerPool:
    """The ingest loop's handle on its profiler processes (``ProfilerClient``'s interface,
    with each batch's next offsets given apart so each profiler acknowledges its own)."""

    def __init__(
        self,
        settings: Settings,
        options: WorkerOptions,
        baseline: Baseline,
        partitions: int,
        size: int,
    ) -> None:
        self.shards = Shards(size)
        self.clients: list[ProfilerClient] = []
        try:
            for _ in range(size):
                self.clients.append(ProfilerClient(settings, options, baseline, partitions))
        except BaseException:
            self.close()
            raise

    def set_baseline(self, baseline: Baseline) -> None:
        for client in self.clients:
            client.set_baseline(baseline)

    def submit(
        self, raw: RawBatch, next_offsets: list[TopicPartition], started: float
    ) -> list[tuple[Token, Stats]]:
        """Hand a batch over; returns (token, stats) of the sub-batches now acknowledged.
        A profiler whose partitions have only tombstones here gets an empty batch, so its
        acknowledgement moves their offsets on too."""
        batches = split(raw, self.shards)
        offsets: dict[int, list[TopicPartition]] = {}
        for tp in next_offsets:
            offsets.setdefault(self.shards.of(tp.partition), []).append(tp)
        done = []
        for s, tps in offsets.items():
            batch = batches.get(s) or RawBatch(raw.topic)
            done += self.clients[s].submit(batch, (tps, started))
        return done

    def drain(self) -> list[tuple[Any, Stats]]:
        return [done for client in self.clients for done in client.drain()]

    def command(self, kind: str, payload: Any = None) -> Stats:
        """Run idle/revoke/stop in every profiler (call ``drain`` first); the stats summed."""
        total = Stats()
        for client in self.clients:
            stats = client.command(kind, payload)
            total.dead_lettered += stats.dead_lettered
            total.windows_published += stats.windows_published
        if kind == "revoke":
            self.shards.release(payload)
        return total

    def close(self) -> None:
        for client in self.clients:
            client.close()
