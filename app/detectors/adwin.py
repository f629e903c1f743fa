"""ADWIN (river) on each numeric field's stream of chunk means, and its window detector."""

from __future__ import annotations

import numpy as np
from river.drift import ADWIN

from app.detectors.base import WindowDetector
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec


class AdwinMonitor:
    """One river ADWIN per field, fed the means of fixed-size chunks of that field's values.

    Chunk means keep ADWIN's cost off the per-record path and tame its false-alarm rate on
    heavy-tailed fields; ``update`` returns how many changes ADWIN flagged in this batch.
    """

    def __init__(self, delta: float = 1e-4, chunk: int = 100) -> None:
        self.delta = delta
        self.chunk = chunk
        self._adwins: dict[str, ADWIN] = {}
        self._pending: dict[str, np.ndarray] = {}

    def update(self, name: str, values: np.ndarray) -> int:
        pending = self._pending.get(name)
        buf = values if pending is None else np.concatenate([pending, values])
        whole = len(buf) // self.chunk * self.chunk
        self._pending[name] = buf[whole:]
        if not whole:
            return 0
        adwin = self._adwins.get(name)
        if adwin is None:
            adwin = self._adwins[name] = ADWIN(delta=self.delta)  # type: ignore[no-untyped-call]
        alarms = 0
        for mean in buf[:whole].reshape(-1, self.chunk).mean(axis=1).tolist():
            adwin.update(mean)  # type: ignore[no-untyped-call]
            alarms += int(adwin.drift_detected)
        return alarms


class AdwinAlarms(WindowDetector):
    characteristic = "stream_change"
    statistic = "adwin_alarms"
    sampled = False

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "continuous"

    def _measure(self, window: FieldProfile) -> tuple[float, float, str, str] | None:
        if window.numeric_count < self.min_count:
            return None
        # ADWIN's own confidence (delta) already guards each alarm
        return float(window.adwin_alarms), 0.0, "0", str(window.adwin_alarms)
