"""How far each input partition's window profiles are published, in Redis, so a worker
that reads a partition again after its previous reader died (SIGKILL, OOM, a lost node)
does not profile what is already in a published partial a second time.

Key: ``driftmend:feed:{feed}:profiled:{topic}:{partition}`` (the last offset covered),
written once the partials are acknowledged by Kafka and expiring ``TTL_SECONDS`` after the
last write: a read-back that late is a replay on purpose (offsets reset), and the window
was decided long ago (``PartitionStore``: no writes for a while after one failed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.repository.store import PartitionStore

TTL_SECONDS = 900


class ProfiledOffsets(PartitionStore):
    kind = "profiled"

    def save(self, through: Mapping[int, int]) -> None:
        if not through:
            return

        def write() -> None:
            pipe = self.client.pipeline(transaction=False)
            for p, offset in through.items():
                pipe.set(self._of(p), offset, ex=TTL_SECONDS)
            pipe.execute()

        self._write("store how far partitions are profiled", write)

    def load(self, partitions: Iterable[int]) -> dict[int, int]:
        parts = sorted(partitions)

        def read() -> dict[int, int]:
            client: Any = self.client
            got: list[bytes | None] = client.mget([self._of(p) for p in parts]) if parts else []
            return {p: int(v) for p, v in zip(parts, got, strict=True) if v is not None}

        return self._call("read how far partitions are profiled", read)
