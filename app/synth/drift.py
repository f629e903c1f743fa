"""Controlled drift: marginals of the mixture (1 - alpha) * baseline + alpha * target.

The target is a ``WindowProfile`` (e.g. the current window's sketches). Per field:

* numbers and timestamps: the mixture's quantile function, from the training quantiles and
  the target's KLL sketch; sampling reads each row's calibrated rank through it, so a row
  keeps its rank (the model's joint structure) while the marginal moves;
* categoricals and null shares: the mixture's slot shares, reached by refitting the logit
  offsets; the "other" slot draws from the rarer baseline categories and the target's
  unseen ones in mixture proportion.

* text (IDs, free text): lengths move to the mixture of the baseline's and the target's
  length distributions (the target's from its length sketch); a string of a length the
  baseline had keeps the shape it had at that length; other lengths are spelled with the
  per-position characters of the baseline's catch-all group. Null shares move as above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.errors import ModelError
from app.profile.builder import ProfileBuilder
from app.profile.field import FieldProfile
from app.profile.window import WindowProfile
from app.schema.model import FieldSpec, Schema
from app.synth.transform import (
    RANKS,
    CategoricalCodec,
    Codec,
    NumericCodec,
    TextCodec,
    category_key,
)


@dataclass(frozen=True)
class DriftPlan:
    """What sampling changes for one alpha and target (empty: the baseline itself)."""

    alpha: float = 0.0
    quantiles: dict[str, np.ndarray] = field(default_factory=dict)
    slot_targets: dict[int, np.ndarray] = field(default_factory=dict)  # segment -> shares
    tails: dict[str, tuple[tuple[Any, ...], np.ndarray]] = field(default_factory=dict)
    lengths: dict[str, np.ndarray] = field(default_factory=dict)  # text: target length pmf

    @property
    def identity(self) -> bool:
        return not (self.quantiles or self.slot_targets or self.tails or self.lengths)


def profile_records(schema: Schema, records: Sequence[Mapping[str, Any]]) -> WindowProfile:
    """A target profile from records (a file of current data)."""
    builder = ProfileBuilder(schema)
    builder.add(list(records))
    return builder.snapshot("target", 0, 0, 0)


def cdf_at(q: np.ndarray, x: np.ndarray, left: bool = False) -> np.ndarray:
    """CDF (or its left limit) of the distribution with quantile function ``q`` at RANKS."""
    i = np.searchsorted(q, x, side="left" if left else "right")
    lo, hi = np.clip(i - 1, 0, len(q) - 1), np.clip(i, 0, len(q) - 1)
    span = q[hi] - q[lo]
    frac = np.where(span > 0, (x - q[lo]) / np.where(span > 0, span, 1), 0.0)
    out = RANKS[lo] + np.clip(frac, 0, 1) * (RANKS[hi] - RANKS[lo])
    return np.where(i == 0, 0.0, np.where(i >= len(q), 1.0, out))


def mixture_quantiles(base: np.ndarray, target: np.ndarray, alpha: float) -> np.ndarray:
    """Quantile function at RANKS of (1 - alpha) * base + alpha * target (atoms kept)."""
    xs = np.unique(np.concatenate([base, target]))
    right = (1 - alpha) * cdf_at(base, xs) + alpha * cdf_at(target, xs)
    left = (1 - alpha) * cdf_at(base, xs, left=True) + alpha * cdf_at(target, xs, left=True)
    f = np.maximum.accumulate(np.column_stack([left, right]).ravel())
    x = np.repeat(xs, 2)
    # invert the monotone polyline: Q(u) = the first x where F reaches u
    idx = np.clip(np.searchsorted(f, RANKS, side="left"), 0, len(f) - 1)
    prev = np.clip(idx - 1, 0, len(f) - 1)
    df = f[idx] - f[prev]
    frac = np.where(df > 0, (RANKS - f[prev]) / np.where(df > 0, df, 1), 1.0)
    out: np.ndarray = x[prev] + np.clip(frac, 0, 1) * (x[idx] - x[prev])
    return out


def _label_value(spec: FieldSpec, label: str) -> Any:
    if spec.type == "bool":
        return label == "true"
    try:
        if spec.type == "int":
            return int(float(label))
        if spec.type == "float":
            return float(label)
    except ValueError:
        return None
    return label


def _null_shares(fp: FieldProfile) -> np.ndarray:
    rate = fp.null_rate
    return np.array([1 - rate, rate])


def _categorical_target(
    codec: CategoricalCodec, fp: FieldProfile, alpha: float
) -> tuple[np.ndarray, tuple[tuple[Any, ...], np.ndarray]]:
    counts = fp.category_counts()
    index = {category_key(v): i for i, v in enumerate(codec.vocab)}
    shares = np.zeros(len(codec.probs))
    unseen: dict[str, float] = {}
    for label, count in counts.items():
        if label in index:
            shares[index[label]] += count
        elif _label_value(codec.spec, label) is not None:
            unseen[label] = unseen.get(label, 0.0) + count
            shares[codec.other_slot] += count
    total = shares.sum()
    if total <= 0:
        raise ModelError(f"target profile has no categories for field {codec.spec.name!r}")
    null = fp.null_rate if codec.spec.nullable else 0.0
    shares *= (1 - null) / total
    if codec.spec.nullable:
        shares[-1] = null
    mixed = (1 - alpha) * codec.probs + alpha * shares
    # the "other" pool: rarer baseline categories and the target's unseen ones, mixed
    weights: dict[str, float] = {}
    values: dict[str, Any] = {}
    base_other = (1 - alpha) * codec.probs[codec.other_slot]
    for value, w in zip(codec.tail, codec.tail_weights.tolist(), strict=True):
        key = category_key(value)
        values[key], weights[key] = value, weights.get(key, 0.0) + base_other * w
    for label, count in unseen.items():
        values.setdefault(label, _label_value(codec.spec, label))
        weights[label] = weights.get(label, 0.0) + alpha * count * (1 - null) / total
    keys = [k for k in weights if weights[k] > 0]
    w = np.array([weights[k] for k in keys])
    return mixed, (tuple(values[k] for k in keys), w / w.sum() if len(w) else w)


def plan_drift(codecs: Sequence[Codec], alpha: float, target: WindowProfile | None) -> DriftPlan:
    """The per-field changes that move samples ``alpha`` of the way toward ``target``."""
    if not 0.0 <= alpha <= 1.0:
        raise ModelError(f"alpha must be within [0, 1], not {alpha}")
    if target is None or alpha == 0.0:
        if alpha > 0:
            raise ModelError("a drift alpha needs a target profile")
        return DriftPlan()
    plan = DriftPlan(alpha)
    segment = 0
    for codec in codecs:
        fp = target.fields.get(codec.spec.name)
        seg = segment
        segment += len(codec.segments)
        if fp is None or fp.count == 0:
            continue
        if isinstance(codec, NumericCodec):
            if fp.numbers is not None and fp.numbers.n > 0:
                tq = np.asarray(fp.numbers.get_quantiles(RANKS.tolist()), dtype=np.float64)
                plan.quantiles[codec.spec.name] = mixture_quantiles(codec.quantiles, tq, alpha)
            if codec.spec.nullable:
                plan.slot_targets[seg] = (1 - alpha) * codec.slot_probs[0] + alpha * _null_shares(
                    fp
                )
        elif isinstance(codec, CategoricalCodec):
            if fp.items is None:
                continue
            shares, tail = _categorical_target(codec, fp, alpha)
            plan.slot_targets[seg] = shares
            plan.tails[codec.spec.name] = tail
        elif isinstance(codec, TextCodec):
            if fp.lengths is not None and fp.lengths.n > 0:
                plan.lengths[codec.spec.name] = length_pmf(fp)
            if codec.spec.nullable:
                plan.slot_targets[seg] = (1 - alpha) * codec.slot_probs[0] + alpha * _null_shares(
                    fp
                )
    return plan


def length_pmf(fp: FieldProfile) -> np.ndarray:
    """Share of each string length 0..max in a profile (from its KLL sketch of lengths)."""
    assert fp.lengths is not None
    longest = round(float(fp.lengths.get_max_value()))
    edges = (np.arange(longest + 1) + 0.5).tolist()
    pmf = np.asarray(fp.lengths.get_pmf(edges), dtype=np.float64)[: longest + 1]
    pmf = np.clip(pmf, 0.0, None)
    out: np.ndarray = pmf / pmf.sum()
    return out
