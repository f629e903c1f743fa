"""Versioned baselines in Redis.

Keys (``{feed}`` is the feed name):
  driftmend:feeds                      set of feed names
  driftmend:feed:{feed}:version        counter of the last version number handed out
  driftmend:feed:{feed}:current        the version workers use now
  driftmend:feed:{feed}:baseline:{v}   the serialized baseline of version v
"""

from __future__ import annotations

import redis

from app.baseline.model import Baseline
from app.errors import BaselineNotFoundError, RepositoryError
from app.repository.store import PREFIX, RedisStore


def connect_redis(url: str) -> redis.Redis:
    try:
        client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        raise RepositoryError(f"cannot reach Redis: {exc}") from exc
    return client


class BaselineRepository(RedisStore):
    def save(self, baseline: Baseline, make_current: bool = True) -> Baseline:
        """Store as the next version of its feed; returns the baseline with that version."""
        feed = baseline.feed
        version = int(
            self._call("number a version", lambda: self.client.incr(self._key(feed, "version")))
        )
        stored = baseline.with_version(version)

        def write() -> None:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(self._key(feed, "baseline", version), stored.serialize())
            pipe.sadd(f"{PREFIX}:feeds", feed)
            if make_current:
                pipe.set(self._key(feed, "current"), version)
            pipe.execute()

        self._call("store a baseline", write)
        return stored

    def current_version(self, feed: str) -> int:
        raw = self._call(
            "read the current version", lambda: self.client.get(self._key(feed, "current"))
        )
        if raw is None:
            raise BaselineNotFoundError(
                f"no baseline for feed {feed!r}; create one with "
                f"`driftmend baseline create --feed {feed} ...`"
            )
        return int(raw)

    def get(self, feed: str, version: int | None = None) -> Baseline:
        v = self.current_version(feed) if version is None else version
        raw = self._call("read a baseline", lambda: self.client.get(self._key(feed, "baseline", v)))
        if raw is None:
            raise BaselineNotFoundError(f"feed {feed!r} has no baseline version {v}")
        return Baseline.deserialize(bytes(raw))  # type: ignore[arg-type]

    def versions(self, feed: str) -> list[int]:
        keys = self._call(
            "list versions",
            lambda: list(self.client.scan_iter(match=self._key(feed, "baseline", "*"), count=1000)),
        )
        return sorted(int(k.decode().rsplit(":", 1)[1]) for k in keys)

    def feeds(self) -> list[str]:
        members = self._call("list feeds", lambda: self.client.smembers(f"{PREFIX}:feeds"))
        return sorted(m.decode() for m in members)  # type: ignore[union-attr]

    def set_current(self, feed: str, version: int) -> None:
        self.get(feed, version)
        self._call("switch versions", lambda: self.client.set(self._key(feed, "current"), version))
