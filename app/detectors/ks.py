"""Two-sample Kolmogorov-Smirnov statistic computed from two KLL quantile sketches.

Critical value: the Kolmogorov limit distribution at the effective size, plus the two
sketches' normalized rank errors (what the sketches alone can make up).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import kstwo, kstwobign

from app.detectors.base import Measured, WindowDetector, effective_size
from app.detectors.quantiles import kolmogorov_isf
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec

GRID = 128
EXACT_UP_TO = 500


RANKS = np.linspace(0.0, 1.0, GRID)


def ks_from_sketches(a: Any, b: Any, a_grid: np.ndarray | None = None) -> float:
    """sup |F_a(x) - F_b(x)| over the union of both sketches' quantile grids (``a_grid``:
    ``a``'s, when already known)."""
    grid = a.get_quantiles(RANKS) if a_grid is None else a_grid
    points = np.unique(np.concatenate([grid, b.get_quantiles(RANKS)]))
    fa = np.asarray(a.get_cdf(points.tolist()))[:-1]
    fb = np.asarray(b.get_cdf(points.tolist()))[:-1]
    return float(np.max(np.abs(fa - fb)))


def ks_pvalue(d: float, n: int, m: int) -> float:
    """Two-sample KS p-value on the effective size n*m/(n+m): exact for small sizes, the
    Kolmogorov limit distribution above (the exact one costs ~10 ms at n = 10^4)."""
    effective = max(round(n * m / (n + m)), 1)
    if effective <= EXACT_UP_TO:
        return float(kstwo.sf(d, effective))
    return float(kstwobign.sf(d * math.sqrt(effective)))


def ks_critical(alpha: float, a: Any, b: Any) -> float:
    n_eff = effective_size(float(a.n), float(b.n))
    sketch_error = a.normalized_rank_error(False) + b.normalized_rank_error(False)
    return kolmogorov_isf(alpha) / math.sqrt(n_eff) + float(sketch_error)


def quartiles(sketch: Any) -> str:
    q = sketch.get_quantiles([0.25, 0.5, 0.75])
    return f"p25={q[0]:.4g} p50={q[1]:.4g} p75={q[2]:.4g}"


class KolmogorovSmirnov(WindowDetector):
    characteristic = "distribution_shape"
    statistic = "ks"

    def _prepare(self) -> None:
        base = self.sketch(self.baseline)  # the baseline's side of the grid, kept
        self._grid = None if base is None or base.is_empty() else base.get_quantiles(RANKS)

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "continuous"

    @staticmethod
    def sketch(fp: FieldProfile) -> Any:
        """The quantile sketch compared (values; string lengths in the subclass)."""
        return fp.numbers

    def _measure(self, window: FieldProfile) -> Measured | None:
        base, cur = self.sketch(self.baseline), self.sketch(window)
        if base is None or cur is None or cur.n < self.min_count:
            return None
        return (
            ks_from_sketches(base, cur, self._grid),
            ks_critical(self.alpha, base, cur),
            lambda: (quartiles(base), quartiles(cur)),
        )


class StringLength(KolmogorovSmirnov):
    """KS between the baseline's and the window's string-length distributions."""

    characteristic = "length"

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.type == "string"

    @staticmethod
    def sketch(fp: FieldProfile) -> Any:
        return fp.lengths
