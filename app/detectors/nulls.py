"""Null-rate change, judged with a two-proportion z-test."""

from __future__ import annotations

import math

from app.detectors.base import WindowDetector
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec

Z_CRITICAL = 3.29  # two-sided alpha = 0.001


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0 if x1 / n1 == x2 / n2 else math.inf
    return (x2 / n2 - x1 / n1) / se


class NullRate(WindowDetector):
    characteristic = "null_rate"
    statistic = "null_rate_increase"

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return True

    def _measure(self, window: FieldProfile) -> tuple[float, bool, str, str] | None:
        b, w = self.baseline, window
        if w.count < self.min_count or b.count == 0:
            return None
        z = two_proportion_z(b.nulls, b.count, w.nulls, w.count)
        increase = w.null_rate - b.null_rate
        return increase, z > Z_CRITICAL, f"{b.null_rate:.4f}", f"{w.null_rate:.4f}"
