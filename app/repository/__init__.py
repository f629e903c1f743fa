"""The Schema Repository: versioned baselines in Redis."""

from app.repository.baselines import BaselineRepository, connect_redis

__all__ = ["BaselineRepository", "connect_redis"]
