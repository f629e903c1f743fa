"""Population Stability Index on baseline-quantile bins (numeric) or categories."""

from __future__ import annotations

import numpy as np

from app.detectors.base import WindowDetector
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec

EPSILON = 1e-4
MAX_CATEGORIES = 50
OTHER = "__other__"


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of two count vectors over the same bins (proportions floored at EPSILON)."""
    e = np.maximum(expected / max(expected.sum(), 1), EPSILON)
    a = np.maximum(actual / max(actual.sum(), 1), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def _fmt(p: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.3f}" for x in p / max(p.sum(), 1)) + "]"


class NumericPSI(WindowDetector):
    characteristic = "distribution"
    statistic = "psi"

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "continuous"

    def _measure(self, window: FieldProfile) -> tuple[float, bool, str, str] | None:
        base, cur = self.baseline.hist, window.hist
        if base is None or cur is None or cur.sum() < self.min_count:
            return None
        return psi(base.astype(float), cur.astype(float)), True, _fmt(base), _fmt(cur)


class CategoricalPSI(WindowDetector):
    characteristic = "category_distribution"
    statistic = "psi"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        counts = self.baseline.category_counts()
        top = sorted(counts, key=lambda k: -counts[k])[:MAX_CATEGORIES]
        self._categories = top
        self._expected = self._vector(counts, _categorical_total(self.baseline))

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "categorical"

    def _vector(self, counts: dict[str, float], total: float) -> np.ndarray:
        known = [counts.get(c, 0.0) for c in self._categories]
        return np.asarray([*known, max(total - sum(known), 0.0)], dtype=float)

    def _measure(self, window: FieldProfile) -> tuple[float, bool, str, str] | None:
        total = _categorical_total(window)
        if total < self.min_count or not self._categories:
            return None
        actual = self._vector(window.category_counts(), total)
        return psi(self._expected, actual), True, _fmt(self._expected), _fmt(actual)


def _categorical_total(fp: FieldProfile) -> float:
    return 0.0 if fp.items is None else float(fp.items.total_weight)
