"""Share of a window's categorical values that the baseline never saw."""

from __future__ import annotations

from app.detectors.base import WindowDetector
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec

SHOWN = 5


class NewCategories(WindowDetector):
    characteristic = "new_categories"
    statistic = "unseen_share"

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "categorical"

    def _measure(self, window: FieldProfile) -> tuple[float, bool, str, str] | None:
        if window.items is None or window.items.total_weight < self.min_count:
            return None
        known = self.baseline.category_counts()
        current = window.category_counts()
        unseen = {k: v for k, v in current.items() if k not in known}
        share = sum(unseen.values()) / float(window.items.total_weight)
        top = sorted(unseen, key=lambda k: -unseen[k])[:SHOWN]
        return share, True, f"{len(known)} categories", "new: " + ", ".join(top)
