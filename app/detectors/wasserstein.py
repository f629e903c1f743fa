"""Wasserstein-1 distance between baseline and window, in units of the baseline's spread.

Computed from the two KLL sketches on a quantile grid. Under no change,
``sqrt(n_eff) * W1 -> integral |B(u)| dQ(u)`` for a Brownian bridge ``B`` and the baseline's
quantile function ``Q``; its upper quantile is simulated once per detector (seeded).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import norm

from app.detectors.base import Measured, WindowDetector, effective_size
from app.detectors.ks import quartiles
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec

GRID = 256
NULL_GRID = 128
SIMULATIONS = 1000


def scale_of(sketch: Any, std: float) -> float:
    q25, q75 = sketch.get_quantiles([0.25, 0.75])
    iqr = (q75 - q25) / 1.349
    return iqr if iqr > 0 else std if std > 0 else 0.0


def wasserstein_on_grid(a_quantiles: np.ndarray, b: Any, ranks: np.ndarray) -> float:
    """Mean |Q_a(u) - Q_b(u)| over the ``ranks`` (``a``'s quantiles there given)."""
    return float(np.mean(np.abs(a_quantiles - np.asarray(b.get_quantiles(ranks)))))


class Wasserstein(WindowDetector):
    characteristic = "distribution_distance"
    statistic = "wasserstein_normalized"

    def _prepare(self) -> None:
        self.ranks = (np.arange(GRID) + 0.5) / GRID
        sketch = self.baseline.numbers
        self.scale = 0.0 if sketch is None else scale_of(sketch, self.baseline.std)
        self.null_quantile = self._simulate_null() if self.scale > 0 else float("inf")
        self.base_quantiles, self.spread = np.zeros(0), 0.0  # the baseline's side, kept
        if self.scale > 0:
            self.base_quantiles = np.asarray(sketch.get_quantiles(self.ranks))
            self.spread = (sketch.get_quantile(0.99) - sketch.get_quantile(0.01)) / self.scale

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind == "continuous"

    def _simulate_null(self) -> float:
        """Upper ``alpha`` quantile of integral |B(u)| dQ(u) / scale (normal tail fit), from
        seeded Brownian bridges; once per detector, at construction."""
        rng = np.random.default_rng(0)
        ranks = (np.arange(NULL_GRID) + 0.5) / NULL_GRID
        steps = rng.normal(0.0, math.sqrt(1.0 / NULL_GRID), (SIMULATIONS, NULL_GRID))
        walks = np.cumsum(steps, axis=1)
        bridges = walks - np.outer(walks[:, -1], ranks)
        widths = np.gradient(np.asarray(self.baseline.numbers.get_quantiles(ranks)))
        functional = np.abs(bridges) @ widths / self.scale
        return float(functional.mean() + norm.isf(self.alpha) * functional.std())

    def _measure(self, window: FieldProfile) -> Measured | None:
        base, cur = self.baseline.numbers, window.numbers
        if base is None or cur is None or cur.n < self.min_count or self.scale <= 0:
            return None
        value = wasserstein_on_grid(self.base_quantiles, cur, self.ranks) / self.scale
        n_eff = effective_size(float(base.n), float(cur.n))
        sketch_error = (
            base.normalized_rank_error(False) + cur.normalized_rank_error(False)
        ) * self.spread
        critical = self.null_quantile / math.sqrt(n_eff) + sketch_error
        return value, critical, lambda: (quartiles(base), quartiles(cur))
