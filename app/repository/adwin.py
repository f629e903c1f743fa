"""Each input partition's ADWIN state in Redis (``app.detectors.adwin.AdwinMonitor.state``)
with the last offset it saw, so the worker that reads the partition next continues it.

Key: ``driftmend:feed:{feed}:adwin:{topic}:{partition}`` (hash: ``state``, ``offset``),
expiring a week after its last write (``PartitionStore``: no writes for a while after one
failed).
"""

from __future__ import annotations

from typing import Any

from app.repository.store import PartitionStore

TTL_SECONDS = 7 * 86_400


class AdwinCheckpoints(PartitionStore):
    kind = "adwin"

    def save(self, partition: int, state: bytes, offset: int) -> None:
        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(self._of(partition), mapping={"state": state, "offset": offset})
            pipe.expire(self._of(partition), TTL_SECONDS)
            pipe.execute()

        self._write("store an ADWIN state", write)

    def load(self, partition: int) -> tuple[bytes, int] | None:
        def read() -> tuple[bytes, int] | None:
            client: Any = self.client
            got: dict[bytes, bytes] = client.hgetall(self._of(partition))
            if b"state" not in got or b"offset" not in got:
                return None
            return got[b"state"], int(got[b"offset"])

        return self._call("read an ADWIN state", read)
