"""Distinct-count ratio: the window's HLL distinct estimate against what the baseline predicts
for a window of this size.

Distinct counts grow with the number of values, so the window's count is compared with the
baseline's *expected distinct count at the window's size* ``n``, not with its own count at
``N`` values. Method:

* **Known frequencies** (categorical fields, while the frequent-items sketch holds every
  category exactly): ``E[D_n] = sum_c 1 - (1 - p_c)^n`` over the baseline's category shares
  ``p_c``; both bounds of the expected band are this value.
* **Unknown frequencies** (numbers, text): only ``D_N`` at ``N`` is known. The expected
  distinct count of ``n`` i.i.d. draws is non-decreasing and concave in ``n`` (each draw adds
  a new value with probability ``sum_v p_v (1 - p_v)^n``, which falls with ``n``), so the band
  ``[D_N n/N, min(n, D_N)]`` (``n <= N``) or ``[D_N, D_N n/N]`` (``n > N``) holds for *any*
  value distribution. It is tight where it matters most — nearly all-distinct fields (IDs,
  measurements: ``D_N ~ N`` gives ``~[n, n]``) — and wide for fields of middling cardinality,
  where only gross changes stand out. The point shown as "expected" is a one-parameter
  rescaling model (``K`` equally likely values fitted to ``D_N`` at ``N``), which lies inside
  the band.

The statistic is ``|log(D_window / band)|``, the log distance from the band (0 inside it).
Its critical value is ``z_alpha`` (two-sided) times the combined relative error of the two
HLL estimates (their 1-sigma bounds) and of the window's sampling spread (the distinct
count is a sum of negatively associated indicators, so ``Var <= sum q(1-q) <= E``).
"""

from __future__ import annotations

import math

import datasketches as ds
import numpy as np

from app.detectors.base import Measured, WindowDetector
from app.detectors.quantiles import normal_isf
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec


def hll_relative_error(fp: FieldProfile) -> float:
    """1-sigma relative error of a profile's HLL distinct estimate."""
    if fp.distinct is None:
        return 0.0
    est = float(fp.distinct.get_estimate())
    if est <= 0:
        return 0.0
    upper, lower = float(fp.distinct.get_upper_bound(1)), float(fp.distinct.get_lower_bound(1))
    return max(upper - est, est - lower) / est


def rescaled(distinct: float, total: float, n: float) -> float:
    """Expected distinct count of ``n`` draws from ``K`` equally likely values, with ``K``
    fitted so that ``total`` draws give ``distinct``: ``D_N (1 - e^{-xn/N}) / (1 - e^{-x})``
    with ``(1 - e^{-x}) / x = D_N / N``."""
    if total <= 0 or distinct <= 0:
        return 0.0
    ratio = min(distinct / total, 1.0)
    if ratio >= 1.0 - 1e-9:
        return distinct * n / total
    lo, hi = 1e-12, max(2.0 / ratio, 1.0)
    for _ in range(100):  # bisection: (1 - e^{-x}) / x falls from 1 to 0
        mid = 0.5 * (lo + hi)
        if -math.expm1(-mid) / mid > ratio:
            lo = mid
        else:
            hi = mid
    x = 0.5 * (lo + hi)
    return distinct * math.expm1(-x * n / total) / math.expm1(-x)


def concave_band(distinct: float, total: float, n: float) -> tuple[float, float]:
    """Bounds on the expected distinct count at ``n`` that hold for any distribution."""
    if n <= total:
        return distinct * n / total, min(n, distinct)
    return distinct, min(distinct * n / total, n)


class DistinctCount(WindowDetector):
    characteristic = "distinct_count"
    statistic = "log_distinct_ratio"

    def _prepare(self) -> None:
        self.shares = self._exact_shares(self.baseline)
        self.base_error = hll_relative_error(self.baseline)

    @classmethod
    def applies(cls, spec: FieldSpec) -> bool:
        return spec.kind != "timestamp"  # time always brings new values

    @staticmethod
    def _exact_shares(fp: FieldProfile) -> np.ndarray | None:
        """Category shares, when the frequent-items sketch counted every value exactly."""
        if fp.items is None or fp.items.is_empty():
            return None
        rows = fp.items.get_frequent_items(ds.frequent_items_error_type.NO_FALSE_NEGATIVES)
        counts = np.asarray([est for _item, est, _lo, _hi in rows], dtype=float)
        total = float(fp.items.total_weight)
        if any(lo != hi for _item, _est, lo, hi in rows) or abs(counts.sum() - total) > 0.5:
            return None  # the sketch dropped some categories: frequencies are not all known
        return counts / total

    def expected(self, n: float) -> tuple[float, float, float, float]:
        """(low, high, point, variance bound) of the distinct count of ``n`` values."""
        if self.shares is not None:
            absent = np.exp(n * np.log1p(-np.minimum(self.shares, 1 - 1e-12)))
            point = float(np.sum(1.0 - absent))
            return point, point, point, float(np.sum(absent * (1.0 - absent)))
        total = float(self.baseline.non_null)
        distinct = min(self.baseline.distinct_estimate(), total)
        low, high = concave_band(distinct, total, n)
        point = min(max(rescaled(distinct, total, n), low), high)
        return low, high, point, -1.0  # Var <= E: judged at the band's edge

    def _measure(self, window: FieldProfile) -> Measured | None:
        n = float(window.non_null)
        if n < self.min_count or window.distinct is None or self.baseline.non_null == 0:
            return None
        if self.baseline.distinct is None:
            return None
        observed = window.distinct_estimate()
        low, high, point, variance = self.expected(n)
        if observed <= 0 or low <= 0:
            return None
        if observed < low:
            value = math.log(low / observed)
            spread = (low if variance < 0 else variance) / low**2
        elif observed > high:
            value = math.log(observed / high)
            spread = (high if variance < 0 else variance) / high**2
        else:
            value, spread = 0.0, 0.0
        error = math.sqrt(hll_relative_error(window) ** 2 + self.base_error**2 + spread)
        critical = normal_isf(self.alpha / 2) * error
        band = f"{point:.0f}" if high - low < 0.5 else f"{point:.0f} ({low:.0f}..{high:.0f})"
        return value, critical, lambda: (f"{band} of {n:.0f}", f"{observed:.0f} of {n:.0f}")
