"""ADWIN (river) on each numeric field's stream of chunk means, and its window detector."""

from __future__ import annotations

import numpy as np
import orjson
from river.drift import ADWIN

from app.detectors.base import Measured, WindowDetector
from app.errors import SketchError
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec


class AdwinMonitor:
    """One river ADWIN per field, fed the means of fixed-size chunks of that field's values.

    Chunk means keep ADWIN's cost off the per-record path and tame its false-alarm rate on
    heavy-tailed fields; ``update`` returns how many changes ADWIN flagged in this batch.

    A monitor is a value too: :meth:`state` holds, per field, the chunk means in ADWIN's
    current window (its last ``KEPT`` at most) and the values of the unfinished chunk;
    :meth:`restore` feeds them to fresh ADWINs, so a restarted worker continues the
    adaptive windows instead of starting them empty.
    """

    KEPT = 4096

    def __init__(self, delta: float = 1e-4, chunk: int = 100) -> None:
        self.delta = delta
        self.chunk = chunk
        self._adwins: dict[str, ADWIN] = {}
        self._pending: dict[str, np.ndarray] = {}
        self._means: dict[str, list[float]] = {}  # ADWIN's window, as fed

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
        means = buf[:whole].reshape(-1, self.chunk).mean(axis=1).tolist()
        for mean in means:
            adwin.update(mean)  # type: ignore[no-untyped-call]
            alarms += int(adwin.drift_detected)
        kept = self._means.setdefault(name, [])
        kept.extend(means)
        width = min(int(adwin.width), self.KEPT)
        del kept[: max(0, len(kept) - width)]
        return alarms

    def state(self) -> bytes:
        fields = {
            name: {
                "means": self._means.get(name, []),
                "pending": self._pending.get(name, np.zeros(0)).tolist(),
            }
            for name in self._adwins.keys() | self._pending.keys()
        }
        return orjson.dumps({"delta": self.delta, "chunk": self.chunk, "fields": fields})

    @classmethod
    def restore(cls, data: bytes) -> AdwinMonitor:
        try:
            doc = orjson.loads(data)
            monitor = cls(float(doc["delta"]), int(doc["chunk"]))
            for name, part in doc["fields"].items():
                means = [float(m) for m in part["means"]]
                if means:
                    adwin = monitor._adwins[name] = ADWIN(delta=monitor.delta)  # type: ignore[no-untyped-call]
                    for mean in means:
                        adwin.update(mean)  # type: ignore[no-untyped-call]
                    monitor._means[name] = means
                monitor._pending[name] = np.asarray(part["pending"], dtype=np.float64)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SketchError(f"malformed ADWIN state: {exc}") from exc
        return monitor


class AdwinAlarms(WindowDetector):
    characteristic = "stream_change"
    statistic = "adwin_alarms"
    sampled = False

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "continuous"

    def _measure(self, window: FieldProfile) -> Measured | None:
        if window.numeric_count < self.min_count:
            return None
        # ADWIN's own confidence (delta) already guards each alarm
        alarms = window.adwin_alarms
        return float(alarms), 0.0, lambda: ("0", str(alarms))
