"""Two-sample chi-square test of category frequencies (unseen categories included).

The contingency table is baseline vs window over the baseline's top categories, 'other'
and 'unseen'; significance from its p-value, effect size as Cohen's w of the window's
shares against the baseline's (independent of both sample sizes).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import chdtrc

from app.detectors.base import Measured
from app.detectors.psi import CategoricalPSI, categorical_total, fmt_shares
from app.profile.field import FieldProfile


def pearson_p_value(table: np.ndarray) -> float:
    """The p-value of Pearson's chi-square test of independence on ``table`` (no zero row
    or column): ``scipy.stats.chi2_contingency(table, correction=False)``'s, without its
    per-call argument handling (~1 ms, most of the detector's time)."""
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    return float(chdtrc(dof, statistic))


class ChiSquare(CategoricalPSI):
    characteristic = "category_frequencies"
    statistic = "cohens_w"

    def _measure(self, window: FieldProfile) -> Measured | None:
        total = categorical_total(window)
        if total < self.min_count or not self.categories:
            return None
        counts = window.category_counts()
        actual = self.vector(counts, total)
        known = set(self.baseline.category_counts())
        unseen = sum(v for k, v in counts.items() if k not in known)
        actual[-1] -= min(unseen, actual[-1])
        table = np.vstack([np.append(self.expected, 0.0), np.append(actual, unseen)])
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[1] < 2:
            return None
        p_value = pearson_p_value(table)
        p = table[0] / table[0].sum()
        q = table[1] / table[1].sum()
        known = p > 0  # unseen categories weigh in as the known ones' missing share (their
        # own size is the new_categories detector's business)
        w = math.sqrt(float(np.sum((q[known] - p[known]) ** 2 / p[known])))
        # significant <=> p < alpha: report the critical effect as 0 or infinity accordingly
        critical = 0.0 if p_value < self.alpha else math.inf
        return w, critical, lambda: (fmt_shares(table[0]), fmt_shares(table[1]))
