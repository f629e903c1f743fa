"""Maximum mean discrepancy between the baseline's and the window's joint row samples.

Rows are the continuous fields, standardized by the baseline sample (missing values at the
mean); an RBF kernel with the median-distance bandwidth; the biased MMD² estimate. The null
comes from label permutations of the pooled sample (seeded), its upper ``alpha`` quantile
from a gamma fit by moments (Gretton et al.'s approximation; Bonferroni alphas are far below
1 / permutations, and the MMD² null is right-skewed).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import gamma

from app.detectors.base import DetectorResult, Tolerance
from app.profile.sample import RowSample

MIN_ROWS = 50
JOINT = "*"
KEPT_SIZES = 4  # window sample sizes whose permutations are kept


class JointMMD:
    characteristic = "joint_distribution"
    statistic = "mmd2"

    def __init__(
        self,
        baseline: RowSample,
        tolerance: Tolerance,
        alpha: float = 1e-3,
        permutations: int = 100,
        seed: int = 0,
    ) -> None:
        self.tolerance = tolerance
        self.alpha = alpha
        self.permutations = permutations
        self.seed = seed
        self.fields = baseline.fields
        rows = baseline.rows
        self.mean = np.nanmean(rows, axis=0) if len(rows) else np.zeros(len(self.fields))
        std = np.nanstd(rows, axis=0) if len(rows) else np.zeros(len(self.fields))
        self.keep = np.isfinite(std) & (std > 0)
        self.std = np.where(self.keep, std, 1.0)
        self.reference = self._standardize(rows) if len(rows) >= MIN_ROWS else None
        self.result: DetectorResult | None = None
        self._nulls: dict[int, tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]] = {}

    def _standardize(self, rows: np.ndarray) -> np.ndarray:
        z = (rows - self.mean) / self.std
        return np.nan_to_num(z[:, self.keep], nan=0.0)

    def _permutations(self, m: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """The seeded label permutations and the upper triangle's indices of a pooled
        sample with ``m`` window rows: the same for every window of that size, so made once
        (a window's sample is mostly full: one or two sizes in practice)."""
        if m not in self._nulls:
            assert self.reference is not None
            n = len(self.reference)
            weights = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])
            rng = np.random.default_rng(self.seed)
            perms = np.stack([rng.permutation(weights) for _ in range(self.permutations)])
            if len(self._nulls) >= KEPT_SIZES:
                self._nulls.pop(next(iter(self._nulls)))
            self._nulls[m] = perms, np.triu_indices(n + m, 1)
        return self._nulls[m]

    def update(self, window: RowSample | None) -> DetectorResult | None:
        self.result = None
        if (
            self.reference is None
            or window is None
            or window.fields != self.fields
            or len(window) < MIN_ROWS
            or not self.keep.any()
        ):
            return None
        x, y = self.reference, self._standardize(window.rows)
        pooled = np.vstack([x, y])
        sq = np.sum(pooled**2, axis=1)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * pooled @ pooled.T, 0.0)
        n, m = len(x), len(y)
        perms, upper = self._permutations(m)
        bandwidth = float(np.median(d2[upper])) or 1.0
        kernel = np.exp(-d2 / bandwidth)
        weights = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])
        observed = float(weights @ kernel @ weights)
        null = np.sum((perms @ kernel) * perms, axis=1)
        mean, var = float(null.mean()), float(null.var())
        critical = (
            float(gamma.isf(self.alpha, mean**2 / var, scale=var / mean))
            if mean > 0 and var > 0
            else float("inf")
        )
        severity = self.tolerance.severity(observed) if observed > critical else None
        self.result = DetectorResult(
            field=JOINT,
            characteristic=self.characteristic,
            statistic=self.statistic,
            value=observed,
            threshold=max(self.tolerance.low, critical),
            drifted=severity is not None,
            severity=severity,
            score=self.tolerance.score(observed) if severity is not None else 0.0,
            baseline=f"{n} rows of {', '.join(self.fields)}",
            current=f"{m} rows",
        )
        return self.result
