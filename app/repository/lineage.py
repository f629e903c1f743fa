"""Lineage in Redis.

Keys: ``driftmend:feed:{feed}:lineage:node:{v}`` (JSON node),
``driftmend:feed:{feed}:lineage:edges`` (list of JSON edges, in order),
``driftmend:feed:{feed}:lineage:last_retrain`` (epoch ms, for the cooldown).
"""

from __future__ import annotations

from typing import Any

import orjson

from app.lineage.model import Edge, Node
from app.repository.store import PREFIX, RedisStore

# KEYS[1] the last attempt's time; ARGV now, cooldown (ms): -1 when claimed, else the last
CLAIM_SCRIPT = """
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) - last < tonumber(ARGV[2]) then return last end
redis.call('SET', KEYS[1], ARGV[1])
return -1
"""


class LineageRepository(RedisStore):
    @staticmethod
    def _key(feed: str, *parts: object) -> str:
        return ":".join([PREFIX, "feed", feed, "lineage", *map(str, parts)])

    def record(self, feed: str, node: Node, edge: Edge) -> None:
        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(self._key(feed, "node", node.version), orjson.dumps(node.to_dict()))
            pipe.rpush(self._key(feed, "edges"), orjson.dumps(edge.to_dict()))
            pipe.execute()

        self._call("record lineage", write)

    def node(self, feed: str, version: int) -> Node | None:
        raw = self._call(
            "read a lineage node", lambda: self.client.get(self._key(feed, "node", version))
        )
        return None if raw is None else Node.from_dict(orjson.loads(raw))

    def edges(self, feed: str) -> list[Edge]:
        raw = self._call(
            "read lineage", lambda: self.client.lrange(self._key(feed, "edges"), 0, -1)
        )
        return [Edge.from_dict(orjson.loads(item)) for item in raw]

    def graph(self, feed: str) -> dict[str, Any]:
        edges = self.edges(feed)
        versions = sorted(
            {e.child for e in edges} | {e.parent for e in edges if e.parent is not None}
        )
        nodes = [n.to_dict() for v in versions if (n := self.node(feed, v)) is not None]
        return {"feed": feed, "nodes": nodes, "edges": [e.to_dict() for e in edges]}

    def last_retrain_ms(self, feed: str) -> int:
        raw = self._call(
            "read the last retrain", lambda: self.client.get(self._key(feed, "last_retrain"))
        )
        return 0 if raw is None else int(raw)

    def claim_retrain(self, feed: str, now_ms: int, cooldown_ms: int) -> int | None:
        """Record a retrain attempt at ``now_ms`` unless the last one (of any worker) was
        less than ``cooldown_ms`` before: None when claimed, else the last attempt's time.
        One step in Redis, so two workers' attempts never both pass."""
        raw = self._call(
            "claim a retrain",
            lambda: self.client.eval(
                CLAIM_SCRIPT, 1, self._key(feed, "last_retrain"), now_ms, cooldown_ms
            ),
        )
        last = int(raw)
        return None if last < 0 else last

    def retrain_lock(self, feed: str, seconds: float) -> Any:
        """The feed's retrain lock (redis-py's ``Lock``, a context manager): waits
        ``seconds`` at most for it (else ``LockError``) and holds it that long at most (a
        worker that dies holding it)."""
        return self.client.lock(
            self._key(feed, "retrain_lock"), timeout=seconds, blocking_timeout=seconds
        )

    def set_last_retrain_ms(self, feed: str, ms: int) -> None:
        self._call(
            "store the last retrain", lambda: self.client.set(self._key(feed, "last_retrain"), ms)
        )
