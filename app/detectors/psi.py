"""Population Stability Index on baseline-quantile bins (numeric) or categories.

Under no change, ``n_eff * PSI`` is approximately chi-square with (bins - 1) degrees of
freedom (PSI is the symmetrized Kullback-Leibler divergence, ~ the chi-square distance).
"""

from __future__ import annotations

import numpy as np

from app.detectors.base import Measured, WindowDetector, effective_size
from app.detectors.quantiles import chi2_isf
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


def chi2_critical(alpha: float, bins: int, n_eff: float, scale: float = 1.0) -> float:
    """Critical value of a divergence with ``scale * n_eff * D ~ chi2(bins - 1)``."""
    if n_eff <= 0 or bins < 2:
        return float("inf")
    return chi2_isf(alpha, bins - 1) / (scale * n_eff)


def fmt_shares(counts: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.3f}" for x in counts / max(counts.sum(), 1)) + "]"


def live_bins(expected: np.ndarray, actual: np.ndarray) -> int:
    return int(np.count_nonzero((expected > 0) | (actual > 0)))


class NumericPSI(WindowDetector):
    characteristic = "distribution"
    statistic = "psi"
    chi2_scale = 1.0  # n_eff * chi2_scale * statistic ~ chi2(bins - 1) under no change

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "continuous"

    @staticmethod
    def divergence(expected: np.ndarray, actual: np.ndarray) -> float:
        return psi(expected, actual)

    def _measure(self, window: FieldProfile) -> Measured | None:
        base, cur = self.baseline.hist, window.hist
        if base is None or cur is None or cur.sum() < self.min_count:
            return None
        if window.edges != self.baseline.edges:
            return None  # profiled against another baseline version's bins
        n_eff = effective_size(float(base.sum()), float(cur.sum()))
        critical = chi2_critical(self.alpha, live_bins(base, cur), n_eff, self.chi2_scale)
        value = self.divergence(base.astype(float), cur.astype(float))
        return value, critical, lambda: (fmt_shares(base), fmt_shares(cur))


class CategoricalPSI(WindowDetector):
    characteristic = "category_distribution"
    statistic = "psi"

    def _prepare(self) -> None:
        counts = self.baseline.category_counts()
        self.categories = sorted(counts, key=lambda k: -counts[k])[:MAX_CATEGORIES]
        self.expected = self.vector(counts, categorical_total(self.baseline))

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "categorical"

    def vector(self, counts: dict[str, float], total: float) -> np.ndarray:
        """Counts of the baseline's top categories, then everything else."""
        known = [counts.get(c, 0.0) for c in self.categories]
        return np.asarray([*known, max(total - sum(known), 0.0)], dtype=float)

    def _measure(self, window: FieldProfile) -> Measured | None:
        total = categorical_total(window)
        if total < self.min_count or not self.categories:
            return None
        actual = self.vector(window.category_counts(), total)
        n_eff = effective_size(float(self.expected.sum()), total)
        critical = chi2_critical(self.alpha, live_bins(self.expected, actual), n_eff)
        value = psi(self.expected, actual)
        return value, critical, lambda: (fmt_shares(self.expected), fmt_shares(actual))


def categorical_total(fp: FieldProfile) -> float:
    return 0.0 if fp.items is None else float(fp.items.total_weight)
