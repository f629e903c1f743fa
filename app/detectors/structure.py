"""Structural changes inside a known field: nulls where the baseline had none, and string
lengths outside the baseline's range."""

from __future__ import annotations

from app.detectors.base import Measured, WindowDetector
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec


class Nullability(WindowDetector):
    """A field the baseline never saw null now has nulls."""

    characteristic = "nullability"
    statistic = "null_share"
    min_count = 1
    sampled = False

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return not spec.nullable

    def _measure(self, window: FieldProfile) -> Measured | None:
        if window.count < self.min_count:
            return None
        nulls, count = window.nulls, window.count
        return window.null_rate, 0.0, lambda: ("not nullable", f"{nulls} nulls of {count}")


class LengthRange(WindowDetector):
    """Share of string values shorter or longer than any the baseline had."""

    characteristic = "length_range"
    statistic = "outside_share"

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.type == "string" and spec.min_length is not None

    def _measure(self, window: FieldProfile) -> Measured | None:
        lengths = window.lengths
        if lengths is None or lengths.n < self.min_count:
            return None
        lo, hi = self.spec.min_length, self.spec.max_length
        assert lo is not None and hi is not None
        below, upto = lengths.get_cdf([lo - 0.5, hi + 0.5])[:2]
        outside = below + (1.0 - upto)
        if lengths.get_min_value() >= lo and lengths.get_max_value() <= hi:
            outside = 0.0  # exact: min and max are kept exactly
        critical = 0.0 if outside == 0.0 else lengths.normalized_rank_error(False)
        shown = f"{lengths.get_min_value():.0f}..{lengths.get_max_value():.0f}"
        return outside, critical, lambda: (f"{lo}..{hi}", shown)
