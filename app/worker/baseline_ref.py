"""A baseline shared between the ingest thread and the aggregator agent."""

from __future__ import annotations

import threading

from app.analysis.analyzer import Analyzer
from app.baseline.model import Baseline


class BaselineRef:
    """Holds the current baseline and its analyzer; swapped atomically on a new version."""

    def __init__(self, baseline: Baseline) -> None:
        self._lock = threading.Lock()
        self._baseline = baseline
        self._analyzer = Analyzer(baseline)

    @property
    def baseline(self) -> Baseline:
        return self._baseline

    @property
    def analyzer(self) -> Analyzer:
        return self._analyzer

    def swap(self, baseline: Baseline) -> None:
        analyzer = Analyzer(baseline)
        with self._lock:
            self._baseline, self._analyzer = baseline, analyzer
