"""Hot-path stores back off after a failed write (a client whose Redis is not there)."""

from __future__ import annotations

import socket

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.errors import RepositoryError
from app.repository.adwin import AdwinCheckpoints
from app.repository.profiled import ProfiledOffsets


def _nowhere() -> redis.Redis:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return redis.Redis(port=port, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))


def test_after_a_failed_write_the_next_ones_are_skipped_then_tried_again() -> None:
    offsets = ProfiledOffsets(_nowhere(), "f", "in")
    with pytest.raises(RepositoryError, match="store how far partitions are profiled"):
        offsets.save({0: 10})
    offsets.save({0: 11})  # within the backoff: nothing tried, nothing raised
    offsets._failed_at -= offsets.BACKOFF_SECONDS
    with pytest.raises(RepositoryError):
        offsets.save({0: 12})
    with pytest.raises(RepositoryError, match="read how far"):
        offsets.load([0])  # reads are not skipped: the caller decides


def test_adwin_checkpoints_back_off_too() -> None:
    checkpoints = AdwinCheckpoints(_nowhere(), "f", "in")
    with pytest.raises(RepositoryError, match="store an ADWIN state"):
        checkpoints.save(0, b"state", 5)
    checkpoints.save(0, b"state", 6)
    assert checkpoints._of(3) == "driftmend:feed:f:adwin:in:3"
