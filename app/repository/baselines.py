"""Versioned baselines in Redis.

Keys (``{feed}`` is the feed name):
  driftmend:feeds                      set of feed names
  driftmend:feed:{feed}:version        counter of the last version number handed out
  driftmend:feed:{feed}:current        the version workers use now
  driftmend:feed:{feed}:baseline:{v}   the serialized baseline of version v
"""

from __future__ import annotations

from typing import Any

import redis

from app.baseline.model import Baseline
from app.errors import BaselineNotFoundError, ConfigError, RepositoryError
from app.repository.store import PREFIX, RedisStore
from app.settings import Settings


def connect_redis(settings: Settings) -> redis.Redis:
    """A client for ``settings.redis_url`` (``rediss://`` for TLS, user and password for
    ACLs), checked with a PING; TLS files from the ``redis_ssl_*`` settings."""
    tls: dict[str, Any] = {}
    if settings.redis_ssl_ca_certs:
        tls["ssl_ca_certs"] = str(settings.redis_ssl_ca_certs)
    if settings.redis_ssl_certfile and settings.redis_ssl_keyfile:
        tls["ssl_certfile"] = str(settings.redis_ssl_certfile)
        tls["ssl_keyfile"] = str(settings.redis_ssl_keyfile)
    url = settings.redis_url.get_secret_value()
    if tls and not url.startswith("rediss://"):
        raise ConfigError("the redis_ssl_* settings need a rediss:// redis_url")
    try:
        client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, **tls)
        client.ping()
    except (redis.RedisError, ValueError, OSError) as exc:
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
