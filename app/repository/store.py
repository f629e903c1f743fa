"""What every Redis-backed repository shares: the key layout and error translation.

Keys are ``driftmend:feed:{feed}:...``; a Redis failure becomes one
:class:`RepositoryError` naming what was being done.
"""

from __future__ import annotations

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
