"""The injection state of each feed in Redis, so a restarted worker continues a transition
(rate, alpha, the event it belongs to, and the last window it bridges from). The state
belongs to the input topic it was built on: a feed attached to another topic starts afresh.

Keys: ``driftmend:feed:{feed}:injection`` (JSON) and ``...:injection:previous`` (the last
judged window's serialized profile).
"""

from __future__ import annotations

import orjson
import redis

from app.errors import RepositoryError
from app.inject.policy import InjectionState
from app.repository.store import PREFIX


class InjectionStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def _key(feed: str, *parts: str) -> str:
        return ":".join([PREFIX, "feed", feed, "injection", *parts])

    def save(self, feed: str, state: InjectionState, previous: bytes, topic: str = "") -> None:
        doc = {
            "topic": topic,
            "rate": state.rate,
            "alpha": state.alpha,
            "event_id": state.event_id,
            "severity": state.severity,
        }
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(self._key(feed), orjson.dumps(doc))
            pipe.set(self._key(feed, "previous"), previous)
            pipe.execute()
        except redis.RedisError as exc:
            raise RepositoryError(f"Redis failed to store the injection state: {exc}") from exc

    def load(self, feed: str, topic: str = "") -> tuple[InjectionState, bytes]:
        try:
            raw, previous = self.client.mget([self._key(feed), self._key(feed, "previous")])
        except redis.RedisError as exc:
            raise RepositoryError(f"Redis failed to read the injection state: {exc}") from exc
        if raw is None:
            return InjectionState(), b""
        doc = orjson.loads(raw)
        if doc.get("topic", "") != topic:
            return InjectionState(), b""
        state = InjectionState(
            float(doc["rate"]), float(doc["alpha"]), str(doc["event_id"]), str(doc["severity"])
        )
        return state, previous if isinstance(previous, bytes) else b""
