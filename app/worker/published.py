"""Records read again after their partition's previous reader died, whose window profiles
that reader had published already: forwarded as always, not profiled a second time.

With the output held per window, input offsets commit only up to the first undecided
window. A worker killed after publishing a window's partial for one partition, before the
window was decided, leaves the partition's next reader to read that window again; the
partial is in the window-profiles topic already, and a second one would count its records
twice. So the profiler stores the offset up to which all of a partition is in published
partials (``OpenWindows.popped``), once Kafka has acknowledged them
(:meth:`PublishedOffsets.published`, :meth:`flush`), and when it starts reading a partition
it skips the records up to there (:meth:`keep`). A worker that hands a partition over in a
rebalance commits what it published, so its successor skips nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Protocol

import numpy as np

from app.errors import DriftmendError

log = logging.getLogger(__name__)


class Store(Protocol):
    """Where the offsets are kept (``app.repository.profiled``)."""

    def load(self, partitions: Iterable[int]) -> dict[int, int]: ...

    def save(self, through: Mapping[int, int]) -> None: ...


class PublishedOffsets:
    def __init__(self, store: Store | None) -> None:
        self.store = store
        self._known: set[int] = set()  # partitions whose stored offset was looked up
        self._skip: dict[int, int] = {}  # partition -> last offset published before
        self._due: dict[int, int] = {}  # published, not stored yet
        self._stored: dict[int, int] = {}  # what was stored last (never lowered)

    def keep(self, partitions: np.ndarray, offsets: np.ndarray) -> np.ndarray | None:
        """Which of a batch's records to profile (None: every one); records of a partition
        come in offset order."""
        new = set(np.flatnonzero(np.bincount(partitions)).tolist()) - self._known
        if new:
            self._known |= new
            self._skip.update(self._load(new))
        if not self._skip:
            return None
        keep = np.ones(len(offsets), dtype=bool)
        for p, last in list(self._skip.items()):
            mine = partitions == p
            keep[mine] = offsets[mine] > last
            if np.any(keep & mine):  # past what was published: the rest of it is new
                del self._skip[p]
        return None if keep.all() else keep

    def _load(self, partitions: set[int]) -> dict[int, int]:
        if self.store is None:
            return {}
        try:
            return self.store.load(partitions)
        except DriftmendError as exc:  # profiled again: counted twice if undecided
            log.warning("published offsets of partitions %s not read: %s", sorted(partitions), exc)
            return {}

    def published(self, through: Mapping[int, int]) -> None:
        """Partials covering each partition up to ``through[p]`` went out (not yet acked)."""
        for p, offset in through.items():
            if offset > max(self._due.get(p, -1), self._stored.get(p, -1)):
                self._due[p] = offset

    def flush(self) -> None:
        """Store what was published; call once Kafka has acknowledged it."""
        if not self._due or self.store is None:
            self._due.clear()
            return
        due, self._due = self._due, {}
        self._stored.update(due)
        try:
            self.store.save(due)
        except DriftmendError as exc:
            log.warning("published offsets not stored: %s", exc)

    def forget(self, partitions: Iterable[int]) -> None:
        """Partitions revoked: the next time they come, look their offsets up again."""
        for p in partitions:
            self._known.discard(p)
            self._skip.pop(p, None)
            self._stored.pop(p, None)
