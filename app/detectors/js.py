"""Jensen-Shannon divergence (nats) on the baseline-quantile bins.

For small differences JS ~ chi-square distance / 8, so ``8 * n_eff * JS ~ chi2(bins - 1)``.
"""

from __future__ import annotations

import numpy as np

from app.detectors.psi import NumericPSI


def js_divergence(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
    p = p_counts / max(p_counts.sum(), 1)
    q = q_counts / max(q_counts.sum(), 1)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log(a[mask] / m[mask])))

    return (kl(p) + kl(q)) / 2


class JensenShannon(NumericPSI):
    characteristic = "distribution_divergence"
    statistic = "js"
    chi2_scale = 8.0

    @staticmethod
    def divergence(expected: np.ndarray, actual: np.ndarray) -> float:
        return js_divergence(expected, actual)
