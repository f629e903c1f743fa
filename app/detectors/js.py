"""Jensen-Shannon divergence (nats) on the baseline-quantile bins.

For small differences JS ~ chi-square distance / 8, so ``8 * n_eff * JS ~ chi2(bins - 1)``.
"""

from __future__ import annotations

import numpy as np

from app.detectors.base import WindowDetector, effective_size
from app.detectors.psi import chi2_critical, fmt_shares, live_bins
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec


def js_divergence(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    p = p_counts / max(p_counts.sum(), 1)
    q = q_counts / max(q_counts.sum(), 1)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / m[mask])))

    return (kl(p) + kl(q)) / 2


class JensenShannon(WindowDetector):
    characteristic = "distribution_divergence"
    statistic = "js"

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "continuous"

    def _measure(self, window: FieldProfile) -> tuple[float, float, str, str] | None:
        base, cur = self.baseline.hist, window.hist
        if base is None or cur is None or cur.sum() < self.min_count:
            return None
        if window.edges != self.baseline.edges:
            return None
        n_eff = effective_size(float(base.sum()), float(cur.sum()))
        critical = chi2_critical(self.alpha, live_bins(base, cur), n_eff, scale=8.0)
        value = js_divergence(base.astype(float), cur.astype(float))
        return value, critical, fmt_shares(base), fmt_shares(cur)
