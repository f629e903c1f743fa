"""Records read again after a crash are not profiled twice (pure logic, a dict for Redis)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pytest

from app.errors import RepositoryError
from app.worker.published import PublishedOffsets


class Store:
    def __init__(self, stored: dict[int, int] | None = None, fail: bool = False) -> None:
        self.stored = dict(stored or {})
        self.fail = fail
        self.loads: list[list[int]] = []

    def load(self, partitions: Iterable[int]) -> dict[int, int]:
        if self.fail:
            raise RepositoryError("Redis is away")
        self.loads.append(sorted(partitions))
        return {p: self.stored[p] for p in partitions if p in self.stored}

    def save(self, through: Mapping[int, int]) -> None:
        if self.fail:
            raise RepositoryError("Redis is away")
        self.stored.update(through)


def _keep(published: PublishedOffsets, parts: list[int], offsets: list[int]) -> list[int] | None:
    keep = published.keep(np.asarray(parts), np.asarray(offsets))
    return None if keep is None else np.flatnonzero(keep).tolist()


def test_a_partition_read_again_skips_what_was_published() -> None:
    store = Store({0: 104, 2: 50})
    published = PublishedOffsets(store)
    #                          p0: 100-106 (skip to 104), p1: nothing stored, p2: past 50
    assert _keep(published, [0, 1, 0, 0, 2, 0, 0, 0], [100, 7, 101, 102, 60, 103, 104, 105]) == [
        1,
        4,
        7,
    ]
    assert store.loads == [[0, 1, 2]]
    assert _keep(published, [0, 1, 2], [106, 8, 61]) is None  # past it: nothing to skip
    assert _keep(published, [3], [0]) is None
    assert store.loads == [[0, 1, 2], [3]]  # a partition is looked up once


def test_skipping_goes_on_over_batches_until_it_is_past() -> None:
    published = PublishedOffsets(Store({5: 9}))
    assert _keep(published, [5] * 4, [2, 3, 4, 5]) == []
    assert _keep(published, [5] * 4, [6, 7, 8, 9]) == []
    assert _keep(published, [5] * 3, [10, 11, 12]) is None


def test_what_is_published_is_stored_on_flush_and_read_by_the_next_reader() -> None:
    store = Store()
    first = PublishedOffsets(store)
    assert _keep(first, [0, 1], [0, 0]) is None
    first.published({0: 9, 1: 4})
    first.published({0: 19})
    assert store.stored == {}  # not before Kafka acknowledged the partials
    first.flush()
    assert store.stored == {0: 19, 1: 4}
    second = PublishedOffsets(store)  # the next worker, after the first one died
    assert _keep(second, [0, 0, 1, 1], [18, 20, 4, 5]) == [1, 3]


def test_a_revoked_partition_is_looked_up_again_when_it_comes_back() -> None:
    store = Store()
    published = PublishedOffsets(store)
    assert _keep(published, [0], [0]) is None
    published.forget([0])
    store.stored[0] = 30  # published by another worker meanwhile, which then died
    assert _keep(published, [0, 0], [30, 31]) == [1]


def test_redis_away_profiles_everything_and_keeps_going(caplog: pytest.LogCaptureFixture) -> None:
    published = PublishedOffsets(Store(fail=True))
    assert _keep(published, [0, 1], [5, 6]) is None
    published.published({0: 5})
    published.flush()
    assert "not read" in caplog.text and "not stored" in caplog.text


def test_without_a_store_nothing_is_skipped() -> None:
    published = PublishedOffsets(None)
    assert _keep(published, [0, 1], [5, 6]) is None
    published.published({0: 5})
    published.flush()
    assert _keep(published, [0], [3]) is None


def test_only_progress_is_stored() -> None:
    store = Store()
    published = PublishedOffsets(store)
    published.published({0: 9, 1: -1})  # nothing of partition 1 is published in full yet
    published.flush()
    assert store.stored == {0: 9}
    store.stored.clear()
    published.published({0: 9})
    published.published({0: 5})
    published.flush()
    assert store.stored == {}  # no write for what is stored already
