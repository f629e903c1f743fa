"""Two-sample Kolmogorov-Smirnov statistic computed from two KLL quantile sketches."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import kstwo, kstwobign

from app.detectors.base import WindowDetector
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec

GRID = 256
ALPHA = 1e-3


def ks_from_sketches(a: object, b: object) -> float:
    """sup |F_a(x) - F_b(x)| over the union of both sketches' quantile grids."""
    ranks = np.linspace(0.0, 1.0, GRID)
    points = np.unique(np.concatenate([a.get_quantiles(ranks), b.get_quantiles(ranks)]))  # type: ignore[attr-defined]
    fa = np.asarray(a.get_cdf(points.tolist()))[:-1]  # type: ignore[attr-defined]
    fb = np.asarray(b.get_cdf(points.tolist()))[:-1]  # type: ignore[attr-defined]
    return float(np.max(np.abs(fa - fb)))


EXACT_UP_TO = 500


def ks_pvalue(d: float, n: int, m: int) -> float:
    """Two-sample KS p-value on the effective size n*m/(n+m): exact for small sizes, the
    Kolmogorov limit distribution above (the exact one costs ~10 ms at n = 10^4)."""
    effective = max(round(n * m / (n + m)), 1)
    if effective <= EXACT_UP_TO:
        return float(kstwo.sf(d, effective))
    return float(kstwobign.sf(d * math.sqrt(effective)))


class KolmogorovSmirnov(WindowDetector):
    characteristic = "distribution_shape"
    statistic = "ks"

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "continuous"

    def _measure(self, window: FieldProfile) -> tuple[float, bool, str, str] | None:
        base, cur = self.baseline.numbers, window.numbers
        if base is None or cur is None or cur.n < self.min_count:
            return None
        d = ks_from_sketches(base, cur)
        significant = ks_pvalue(d, int(base.n), int(cur.n)) < ALPHA
        return d, significant, _median(base), _median(cur)


def _median(sketch: object) -> str:
    q = sketch.get_quantiles([0.25, 0.5, 0.75])  # type: ignore[attr-defined]
    return f"p25={q[0]:.4g} p50={q[1]:.4g} p75={q[2]:.4g}"
