"""Cached upper quantiles of the null distributions (scipy's isf costs ~0.1 ms a call)."""

from __future__ import annotations

from functools import lru_cache

from scipy.stats import chi2, kstwobign, norm


@lru_cache(maxsize=4096)
def chi2_isf(alpha: float, df: int) -> float:
    return float(chi2.isf(alpha, df))


@lru_cache(maxsize=256)
def kolmogorov_isf(alpha: float) -> float:
    return float(kstwobign.isf(alpha))


@lru_cache(maxsize=256)
def normal_isf(alpha: float) -> float:
    return float(norm.isf(alpha))
