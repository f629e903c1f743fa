"""Share of a window's categorical values that the baseline never saw."""

from __future__ import annotations

import math

from app.detectors.base import Measured, WindowDetector
from app.detectors.quantiles import normal_isf
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec

SHOWN = 5


class NewCategories(WindowDetector):
    characteristic = "new_categories"
    statistic = "unseen_share"

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "categorical"

    def _measure(self, window: FieldProfile) -> Measured | None:
        if window.items is None or window.items.total_weight < self.min_count:
            return None
        n = float(window.items.total_weight)
        base_total = 0.0 if self.baseline.items is None else float(self.baseline.items.total_weight)
        # categories too rare to show up in the baseline sample ("rule of three" bound)
        p0 = min(3.0 / base_total, 1.0) if base_total else 1.0
        critical = p0 + normal_isf(self.alpha) * math.sqrt(p0 * (1 - p0) / n)
        known = self.baseline.category_counts()
        current = window.category_counts()
        unseen = {k: v for k, v in current.items() if k not in known}
        share = sum(unseen.values()) / n
        return share, critical, lambda: (f"{len(known)} categories", "new: " + _top(unseen))


def _top(unseen: dict[str, float]) -> str:
    return ", ".join(sorted(unseen, key=lambda k: -unseen[k])[:SHOWN])
