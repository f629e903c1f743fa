"""What every Redis-backed repository shares: the key layout and error translation.

Keys are ``driftmend:feed:{feed}:...``; a Redis failure becomes one
:class:`RepositoryError` naming what was being done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import redis

from app.errors import RepositoryError

T = TypeVar("T")
PREFIX = "driftmend"


class RedisStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    @staticmethod
    def _key(feed: str, *parts: object) -> str:
        return ":".join([PREFIX, "feed", feed, *map(str, parts)])

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except redis.RedisError as exc:
            raise RepositoryError(f"Redis failed to {what}: {exc}") from exc


class PartitionStore(RedisStore):
    """Values per input partition of one feed and topic, written from the profiler's hot
    path (keys ``driftmend:feed:{feed}:{kind}:{topic}:{partition}``): after a failed write
    it writes nothing for ``BACKOFF_SECONDS`` (a Redis that hangs costs one timeout, not
    one per batch)."""

    BACKOFF_SECONDS = 30.0
    kind = ""

    def __init__(self, client: redis.Redis, feed: str, topic: str) -> None:
        super().__init__(client)
        self.feed = feed
        self.topic = topic
        self._failed_at = -self.BACKOFF_SECONDS

    def _of(self, partition: int) -> str:
        return self._key(self.feed, self.kind, self.topic, partition)

    def _write(self, what: str, fn: Callable[[], None]) -> None:
        if time.monotonic() - self._failed_at < self.BACKOFF_SECONDS:
            return
        try:
            self._call(what, fn)
        except RepositoryError:
            self._failed_at = time.monotonic()
            raise
