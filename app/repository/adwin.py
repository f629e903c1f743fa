"""Each input partition's ADWIN state in Redis (``app.detectors.adwin.AdwinMonitor.state``)
with the last offset it saw, so the worker that reads the partition next continues it.

Key: ``driftmend:feed:{feed}:adwin:{topic}:{partition}`` (hash: ``state``, ``offset``),
expiring a week after its last write. The profiler saves on its hot path, so after a failed
write it saves nothing for ``BACKOFF_SECONDS`` (a Redis that hangs costs one timeout, not
one per window).
"""

from __future__ import annotations

import time
from typing import Any

import redis

from app.errors import RepositoryError
from app.repository.store import RedisStore

TTL_SECONDS = 7 * 86_400
BACKOFF_SECONDS = 30.0


class AdwinCheckpoints(RedisStore):
    def __init__(self, client: redis.Redis, feed: str, topic: str) -> None:
        super().__init__(client)
        self.feed = feed
        self.topic = topic
        self._failed_at = -BACKOFF_SECONDS

    def _of(self, partition: int) -> str:
        return self._key(self.feed, "adwin", self.topic, partition)

    def save(self, partition: int, state: bytes, offset: int) -> None:
        if time.monotonic() - self._failed_at < BACKOFF_SECONDS:
            return

        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(self._of(partition), mapping={"state": state, "offset": offset})
            pipe.expire(self._of(partition), TTL_SECONDS)
            pipe.execute()

        try:
            self._call("store an ADWIN state", write)
        except RepositoryError:
            self._failed_at = time.monotonic()
            raise

    def load(self, partition: int) -> tuple[bytes, int] | None:
        def read() -> tuple[bytes, int] | None:
            client: Any = self.client
            got: dict[bytes, bytes] = client.hgetall(self._of(partition))
            if b"state" not in got or b"offset" not in got:
                return None
            return got[b"state"], int(got[b"offset"])

        return self._call("read an ADWIN state", read)
