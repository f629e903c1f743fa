"""Window assignment that is the same whichever worker owns a partition.

Count windows: window ``k`` of a feed is offsets ``[k*s, (k+1)*s)`` of every partition, with
``s = ceil(N / partitions)``, so the merged window holds about ``N`` records. Time windows:
tumbling on the record timestamp.
"""

from __future__ import annotations

import math

import numpy as np

from app.errors import ConfigError


class WindowClock:
    def __init__(
        self,
        partitions: int,
        window_records: int | None = None,
        window_seconds: float | None = None,
    ) -> None:
        if (window_records is None) == (window_seconds is None):
            raise ConfigError("give exactly one of window_records and window_seconds")
        if partitions < 1:
            raise ConfigError("a topic has at least one partition")
        self.partitions = partitions
        self.window_records = window_records
        self.window_ms = None if window_seconds is None else int(window_seconds * 1000)
        self.per_partition = (
            None if window_records is None else max(1, math.ceil(window_records / partitions))
        )

    def window_of(self, offset: int, timestamp_ms: int) -> int:
        if self.per_partition is not None:
            return offset // self.per_partition
        assert self.window_ms is not None
        return timestamp_ms // self.window_ms

    def windows_of(self, offsets: np.ndarray, timestamps_ms: np.ndarray) -> np.ndarray:
        """``window_of`` for a whole batch (int64 arrays in, window ids out)."""
        if self.per_partition is not None:
            return offsets // self.per_partition
        assert self.window_ms is not None
        return timestamps_ms // self.window_ms

    def last_offset(self, window_id: int) -> int | None:
        """The last offset of a count window in every partition (None: time windows, whose
        end is not an offset)."""
        if self.per_partition is None:
            return None
        return (window_id + 1) * self.per_partition - 1

    def min_records(self, floor: int = 200) -> int:
        """Fewest records a merged window needs to be judged (skips partial first windows)."""
        if self.window_records is not None:
            return max(1, self.window_records // 2)
        return floor
