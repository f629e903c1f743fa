"""The latest drift events of each feed, in Redis, for the REST API and operators.

Key ``driftmend:feed:{feed}:events``: a list of JSON events, newest first, at most
``keep`` long (the drift-events topic stays the full record).
"""

from __future__ import annotations

from typing import Any

import orjson
import redis

from app.errors import RepositoryError
from app.repository.store import PREFIX


class EventLog:
    def __init__(self, client: redis.Redis, keep: int = 1_000) -> None:
        self.client = client
        self.keep = keep

    @staticmethod
    def _key(feed: str) -> str:
        return f"{PREFIX}:feed:{feed}:events"

    def add(self, event: dict[str, Any]) -> None:
        key = self._key(str(event["feed"]))
        try:
            pipe = self.client.pipeline()
            pipe.lpush(key, orjson.dumps(event))
            pipe.ltrim(key, 0, self.keep - 1)
            pipe.execute()
        except redis.RedisError as exc:
            raise RepositoryError(f"Redis failed to store a drift event: {exc}") from exc

    def recent(self, feed: str, limit: int = 50) -> list[dict[str, Any]]:
        try:
            raw = self.client.lrange(self._key(feed), 0, max(0, limit - 1))
        except redis.RedisError as exc:
            raise RepositoryError(f"Redis failed to read drift events: {exc}") from exc
        return [orjson.loads(item) for item in raw]
