"""A confidence interval on a window's drift score, by a parametric bootstrap of the window.

For each sampled finding (the top few by score), the field is redrawn ``resamples`` times
from the window's own profile (quantiles from its KLL sketch, categories and nulls from its
counts) at up to ``size`` values, and the detector re-measured. Deviations are rescaled from
the draw size to the window's size (statistics spread as 1/sqrt(n)) around the observed
value. Deterministic findings (types, structure, ADWIN) keep their score.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.detectors.base import DetectorResult, WindowDetector
from app.profile.builder import ProfileBuilder
from app.profile.field import FieldProfile
from app.schema.model import FieldSpec, Schema

TOP = 3


def redraw(
    fp: FieldProfile,
    spec: FieldSpec,
    edges: tuple[float, ...] | None,
    rng: np.random.Generator,
    size: int,
) -> FieldProfile:
    """A field profile of ``min(count, size)`` values drawn from ``fp``'s distribution."""
    n = min(fp.count, size)
    nulls = int(rng.binomial(n, fp.null_rate)) if fp.count else 0
    m = n - nulls
    values: list[Any] = []
    categories = fp.category_counts()
    if spec.numeric and fp.numbers is not None and m:
        values = np.asarray(fp.numbers.get_quantiles(rng.random(m))).tolist()
        if spec.type == "int":
            values = [round(v) for v in values]
        if spec.type == "timestamp":
            values = [float(v) for v in values]
    elif categories and spec.kind == "categorical" and m:
        names = list(categories)
        shares = np.asarray([categories[k] for k in names], dtype=float)
        drawn = rng.multinomial(m, shares / shares.sum())
        values = [name for name, c in zip(names, drawn, strict=True) for _ in range(int(c))]
        if spec.type == "bool":
            values = [v == "true" for v in values]
    elif fp.lengths is not None and m:
        lengths = np.asarray(fp.lengths.get_quantiles(rng.random(m)))
        values = ["x" * max(round(v), 0) for v in lengths]
    builder = ProfileBuilder(Schema((spec,)), {spec.name: edges} if edges else None)
    return builder.add_column(spec.name, values + [None] * nulls)


def score_interval(
    sampled: list[tuple[WindowDetector, DetectorResult, FieldProfile]],
    fixed_score: float,
    rng: np.random.Generator,
    resamples: int = 16,
    size: int = 1_000,
) -> tuple[float, float]:
    """(low, high) 95 % interval of the window's drift score."""
    top = sorted(sampled, key=lambda t: -t[1].score)[:TOP]
    if not top:
        return fixed_score, fixed_score
    draws = np.full(resamples, fixed_score)
    for detector, result, fp in top:
        stats = []
        for _ in range(resamples):
            again = redraw(fp, detector.spec, fp.edges, rng, size)
            measured = detector.measure(again)
            stats.append(result.value if measured is None else measured[0])
        arr = np.asarray(stats)
        shrink = math.sqrt(min(fp.count, size) / max(fp.count, 1))
        values = result.value + (arr - arr.mean()) * shrink
        scores = np.asarray([detector.tolerance.score(max(v, 0.0)) for v in values])
        draws = np.maximum(draws, scores)
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return float(lo), float(hi)
