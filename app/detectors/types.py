"""Share of a field's non-null values whose type the schema does not accept."""

from __future__ import annotations

from app.detectors.base import Measured, WindowDetector
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec


class TypeMismatch(WindowDetector):
    characteristic = "type"
    statistic = "mismatch_share"
    min_count = 1
    sampled = False

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return True

    def _measure(self, window: FieldProfile) -> Measured | None:
        non_null = window.non_null
        if non_null < self.min_count:
            return None
        wrong = {t: n for t, n in window.types.items() if t != "null" and not self.spec.accepts(t)}
        share = sum(wrong.values()) / non_null
        seen = sorted(window.types.items())
        # no sampling noise: any wrong type counts
        return share, 0.0, lambda: (self.spec.type, ", ".join(f"{t}={n}" for t, n in seen))
