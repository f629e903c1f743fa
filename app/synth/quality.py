"""Quality of synthetic records against real ones, in the manner of SDMetrics' quality report.

* column shapes: 1 - KS statistic for numbers and timestamps, 1 - total variation distance
  for categoricals (text fields are not scored: their values are meant to be new);
* column pair trends: 1 - |corr_real - corr_synth| / 2 (Pearson) for two numeric fields,
  else 1 - TVD of the two fields' joint distribution (numbers in 10 equal-width bins of the
  real range);
* the score: the mean of the two means; plus the null-rate difference per field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from scipy.stats import ks_2samp

from app.schema.model import FieldSpec, Schema
from app.synth.transform import category_key, epoch_seconds

BINS = 10


@dataclass(frozen=True)
class Prepared:
    """One field of both tables: floats (NaN = null) or category codes (-1 = null)."""

    spec: FieldSpec
    real: np.ndarray
    synth: np.ndarray
    numeric: bool


def scored(spec: FieldSpec) -> bool:
    return spec.kind != "text"


def _numbers(spec: FieldSpec, values: list[Any]) -> np.ndarray:
    if spec.type == "timestamp":
        return epoch_seconds(values)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def prepare(
    spec: FieldSpec, real: Sequence[Mapping[str, Any]], synth: Sequence[Mapping[str, Any]]
) -> Prepared:
    r = [row.get(spec.name) for row in real]
    s = [row.get(spec.name) for row in synth]
    if spec.kind in ("continuous", "timestamp"):
        return Prepared(spec, _numbers(spec, r), _numbers(spec, s), True)
    labels: dict[str, int] = {}

    def codes(values: list[Any]) -> np.ndarray:
        return np.fromiter(
            (-1 if v is None else labels.setdefault(category_key(v), len(labels)) for v in values),
            np.int64,
            len(values),
        )

    return Prepared(spec, codes(r), codes(s), False)


def _present(a: np.ndarray, numeric: bool) -> np.ndarray:
    return ~np.isnan(a) if numeric else a >= 0


def column_shape(p: Prepared) -> float:
    r, s = p.real[_present(p.real, p.numeric)], p.synth[_present(p.synth, p.numeric)]
    if not len(r) or not len(s):
        return 1.0 if len(r) == len(s) else 0.0
    if p.numeric:
        return 1.0 - float(ks_2samp(r, s, method="asymp").statistic)
    k = int(max(r.max(), s.max())) + 1
    pr = np.bincount(r, minlength=k) / len(r)
    ps = np.bincount(s, minlength=k) / len(s)
    return 1.0 - 0.5 * float(np.abs(pr - ps).sum())


def null_rate_diff(p: Prepared) -> float:
    nr = 1 - _present(p.real, p.numeric).mean() if len(p.real) else 0.0
    ns = 1 - _present(p.synth, p.numeric).mean() if len(p.synth) else 0.0
    return float(abs(nr - ns))


def _binned(p: Prepared) -> tuple[np.ndarray, np.ndarray]:
    if not p.numeric:
        return p.real, p.synth
    r = p.real[~np.isnan(p.real)]
    lo, hi = (float(r.min()), float(r.max())) if len(r) else (0.0, 1.0)
    edges = np.linspace(lo, hi, BINS + 1)[1:-1]

    def cut(a: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(a), -1, np.searchsorted(edges, a, side="right"))

    return cut(p.real), cut(p.synth)


def pair_trend(a: Prepared, b: Prepared) -> float:
    if a.numeric and b.numeric:
        return 1.0 - abs(_corr(a.real, b.real) - _corr(a.synth, b.synth)) / 2
    ar, as_ = _binned(a)
    br, bs = _binned(b)
    width = 1 + int(max(x.max(initial=0) for x in (ar, as_, br, bs)))

    def joint(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ok = (x >= 0) & (y >= 0)
        counts = np.bincount(x[ok] * width + y[ok], minlength=width * width).astype(np.float64)
        shares: np.ndarray = counts / max(counts.sum(), 1)
        return shares

    return 1.0 - 0.5 * float(np.abs(joint(ar, br) - joint(as_, bs)).sum())


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    ok = ~np.isnan(x) & ~np.isnan(y)
    if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
        return 0.0
    return float(np.corrcoef(x[ok], y[ok])[0, 1])


def quality_report(
    schema: Schema, real: Sequence[Mapping[str, Any]], synth: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Column shapes, pair trends, the overall score and null-rate differences."""
    prepared = [prepare(spec, real, synth) for spec in schema.fields if scored(spec)]
    shapes = {p.spec.name: column_shape(p) for p in prepared}
    pairs = {f"{a.spec.name}|{b.spec.name}": pair_trend(a, b) for a, b in combinations(prepared, 2)}
    nulls = {p.spec.name: null_rate_diff(p) for p in prepared}
    for spec in schema.fields:
        if not scored(spec):
            r = sum(row.get(spec.name) is None for row in real) / max(len(real), 1)
            s = sum(row.get(spec.name) is None for row in synth) / max(len(synth), 1)
            nulls[spec.name] = abs(r - s)
    shape = float(np.mean(list(shapes.values()))) if shapes else 1.0
    trend = float(np.mean(list(pairs.values()))) if pairs else 1.0
    return {
        "score": (shape + trend) / 2,
        "column_shapes": shape,
        "column_pair_trends": trend,
        "max_null_rate_diff": max(nulls.values(), default=0.0),
        "fields": shapes,
        "null_rate_diff": nulls,
        "worst_pairs": dict(sorted(pairs.items(), key=lambda kv: kv[1])[:5]),
    }
