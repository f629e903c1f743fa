"""The current baseline, shared by the ingest thread and the aggregator agent."""

from __future__ import annotations

import threading

from app.baseline.model import Baseline


class BaselineRef:
    """Holds the current baseline (and its serialized form); swapped atomically."""

    def __init__(self, baseline: Baseline) -> None:
        self._lock = threading.Lock()
        self._current = (baseline, baseline.serialize())

    @property
    def baseline(self) -> Baseline:
        return self._current[0]

    @property
    def serialized(self) -> bytes:
        return self._current[1]

    def swap(self, baseline: Baseline) -> None:
        current = (baseline, baseline.serialize())
        with self._lock:
            self._current = current
