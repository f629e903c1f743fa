"""Null-rate change, judged with a two-proportion z-test."""

from __future__ import annotations

import math

from app.detectors.base import Measured, WindowDetector
from app.detectors.quantiles import normal_isf
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec


class NullRate(WindowDetector):
    characteristic = "null_rate"
    statistic = "null_rate_increase"

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return True

    def _measure(self, window: FieldProfile) -> Measured | None:
        b, w = self.baseline, window
        if w.count < self.min_count or b.count == 0:
            return None
        pooled = (b.nulls + w.nulls) / (b.count + w.count)
        se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / b.count + 1 / w.count))
        critical = normal_isf(self.alpha) * se  # one-sided: more nulls
        increase = w.null_rate - b.null_rate
        return increase, critical, lambda: (f"{b.null_rate:.4f}", f"{w.null_rate:.4f}")
