"""Champion vs challenger: does the challenger fit the current data better, and is its
model good enough.

**Fit test.** The distance of held-out current records to a baseline is the mean over its
fields of the KS statistic against the baseline's KLL sketch (numbers) or the total
variation distance to its category shares (categories). The challenger fits
*significantly* better when, over 200 paired bootstrap resamples of the held-out records,
the 5th percentile of ``distance(champion) - distance(challenger)`` is above 0 (a one-sided
paired bootstrap test at the 5 % level). Drift scores cannot serve: they saturate at 1
for any large shift, and a challenger trained on a mixture that keeps some history still
"drifts" against the current data while fitting it far better.

**Model margin.** The challenger's generative model must score no more than ``margin``
below the champion's on SDMetrics-style quality (column shapes and pair trends of its
samples against held-out records of the data each was trained for).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.baseline.model import Baseline
from app.synth.quality import quality_report
from app.synth.synthesizer import Synthesizer
from app.synth.transform import category_key

Records = Sequence[Mapping[str, Any]]


RESAMPLES = 200


@dataclass(frozen=True)
class FitTest:
    champion: float  # distance of the held-out records to the champion
    challenger: float
    diff_p05: float  # 5th percentile of the paired bootstrap differences

    @property
    def better(self) -> bool:
        return self.diff_p05 > 0

    def metrics(self) -> dict[str, float]:
        return {
            "champion_distance": self.champion,
            "challenger_distance": self.challenger,
            "distance_gain_p05": self.diff_p05,
        }


def distances(baseline: Baseline, holdout: Records, idx: np.ndarray) -> np.ndarray:
    """Distance of each resample (rows of ``idx``; row 0 may be the identity) to ``baseline``."""
    per_field = []
    for spec in baseline.schema.fields:
        fp = baseline.profile.fields.get(spec.name)
        if fp is None:
            continue
        values = [r.get(spec.name) for r in holdout]
        if spec.kind == "continuous" and fp.numbers is not None and not fp.numbers.is_empty():
            per_field.append(_ks(fp.numbers, values, idx))
        elif spec.kind == "categorical" and fp.category_counts():
            per_field.append(_tv(fp.category_counts(), values, idx))
    if not per_field:
        return np.zeros(len(idx))
    return np.asarray(np.mean(per_field, axis=0))


def _ks(sketch: Any, values: list[Any], idx: np.ndarray) -> np.ndarray:
    v = np.asarray([x if type(x) in (int, float) else np.nan for x in values], dtype=float)
    ok = np.isfinite(v)
    if not ok.any():
        return np.ones(len(idx))
    grid = np.unique(v[ok])
    base = np.asarray(sketch.get_cdf(grid.tolist())[: len(grid)])
    x = v[idx]  # (B, n), NaN where missing
    x = np.sort(np.where(np.isfinite(x), x, np.inf), axis=1)
    n = np.isfinite(x).sum(axis=1, keepdims=True).clip(min=1)
    f_base = base[np.clip(np.searchsorted(grid, x), 0, len(grid) - 1)]
    ecdf = np.arange(1, x.shape[1] + 1) / n
    gap = np.where(np.isfinite(x), np.abs(ecdf - f_base), 0.0)
    return np.asarray(gap.max(axis=1))


def _tv(counts: Mapping[str, float], values: list[Any], idx: np.ndarray) -> np.ndarray:
    keys = sorted(counts)
    index = {k: i for i, k in enumerate(keys)}
    other = len(keys)
    p = np.asarray([counts[k] for k in keys] + [0.0])
    p = p / max(p.sum(), 1e-12)
    codes = np.asarray([index.get(category_key(x), other) for x in values])
    out = np.empty(len(idx))
    for b, row in enumerate(idx):
        q = np.bincount(codes[row], minlength=other + 1) / max(len(row), 1)
        out[b] = 0.5 * np.abs(q - p).sum()
    return out


def fit_test(champion: Baseline, challenger: Baseline, holdout: Records, seed: int) -> FitTest:
    n = len(holdout)
    if n == 0:
        return FitTest(0.0, 0.0, 0.0)  # nothing to judge on: not better
    rng = np.random.default_rng(seed)
    idx = np.vstack([np.arange(n)[None, :], rng.integers(0, n, size=(RESAMPLES, n))])
    d_champ = distances(champion, holdout, idx)
    d_chall = distances(challenger, holdout, idx)
    gain = d_champ[1:] - d_chall[1:]
    return FitTest(float(d_champ[0]), float(d_chall[0]), float(np.quantile(gain, 0.05)))


def model_quality(synth: Synthesizer, real: Records, seed: int) -> float:
    if not real:
        return 0.0
    samples = synth.sample(len(real), seed=seed)
    return float(quality_report(synth.schema, list(real), samples)["score"])
