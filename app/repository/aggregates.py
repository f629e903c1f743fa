"""The aggregator's windows in flight, in Redis: every partial it merged (its bytes as read,
keyed by where it was read) and the windows it decided. The worker that takes over the
window-profiles topic after its owner died continues from there: no partial is lost, none
counts twice, and no window is decided twice.

Keys, per feed and input topic (window ids restart with a new topic):
``driftmend:feed:{feed}:aggregate:{topic}:windows`` (set of pending window ids),
``...:window:{id}`` (hash ``{partition}:{offset}:{closed}`` -> partial bytes) and
``...:decided`` (sorted set of the latest decided window ids). Everything expires after a
day without writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.repository.store import RedisStore

TTL_SECONDS = 86_400
DECIDED_KEPT = 1024


@dataclass(frozen=True)
class StoredPartial:
    window_id: int
    source: tuple[int, int]  # (partition, offset) in the window-profiles topic
    closed: bool
    data: bytes


class AggregateStore(RedisStore):
    def _keys(self, feed: str, topic: str, *parts: object) -> str:
        return self._key(feed, "aggregate", topic, *parts)

    def add(self, feed: str, topic: str, partial: StoredPartial) -> None:
        windows = self._keys(feed, topic, "windows")
        window = self._keys(feed, topic, "window", partial.window_id)
        partition, offset = partial.source
        name = f"{partition}:{offset}:{int(partial.closed)}"

        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(window, name, partial.data)
            pipe.sadd(windows, partial.window_id)
            pipe.expire(window, TTL_SECONDS)
            pipe.expire(windows, TTL_SECONDS)
            pipe.execute()

        self._call("store a partial window profile", write)

    def decided(self, feed: str, topic: str, window_id: int) -> None:
        decided = self._keys(feed, topic, "decided")

        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.zadd(decided, {str(window_id): window_id})
            pipe.zremrangebyrank(decided, 0, -DECIDED_KEPT - 1)
            pipe.expire(decided, TTL_SECONDS)
            pipe.srem(self._keys(feed, topic, "windows"), window_id)
            pipe.delete(self._keys(feed, topic, "window", window_id))
            pipe.execute()

        self._call("mark a window decided", write)

    def load(self, feed: str, topic: str) -> tuple[list[StoredPartial], list[int]]:
        """The partials of every pending window (in window order) and the decided ids."""

        def read() -> tuple[list[StoredPartial], list[int]]:
            client: Any = self.client  # redis-py's stubs type replies loosely
            decided = [int(w) for w in client.zrange(self._keys(feed, topic, "decided"), 0, -1)]
            ids = sorted(int(w) for w in client.smembers(self._keys(feed, topic, "windows")))
            partials = []
            for wid in ids:
                entries: dict[bytes, bytes] = client.hgetall(self._keys(feed, topic, "window", wid))
                for name, data in sorted(entries.items()):
                    partition, offset, closed = (int(x) for x in name.decode().split(":"))
                    partials.append(StoredPartial(wid, (partition, offset), bool(closed), data))
            return partials, decided

        return self._call("read the aggregator's windows", read)
