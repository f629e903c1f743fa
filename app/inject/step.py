"""How far a window moved from the one before it: the step the output's readers would see.

Per field, PSI between the two windows: numbers on the deciles of the earlier window (from
its KLL sketch, so windows profiled against different baselines compare too), categories
on the earlier window's most frequent ones plus "other". The step is the largest over the
fields the two windows share (the worker passes its continuous and categorical ones:
timestamps and IDs move every window by nature).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from app.detectors.psi import psi
from app.profile.field import FieldProfile
from app.profile.window import WindowProfile

DECILES = np.linspace(0.1, 0.9, 9)
TOP_CATEGORIES = 20
MIN_VALUES = 50  # fewer values in either window: no meaningful PSI


def field_step(before: FieldProfile, after: FieldProfile) -> float:
    if before.numeric_count >= MIN_VALUES and after.numeric_count >= MIN_VALUES:
        edges = np.unique(np.asarray(before.numbers.get_quantiles(DECILES), dtype=np.float64))
        if len(edges) == 0:
            return 0.0
        return psi(_masses(before, edges), _masses(after, edges))
    cats_before, cats_after = before.category_counts(), after.category_counts()
    if sum(cats_before.values()) < MIN_VALUES or sum(cats_after.values()) < MIN_VALUES:
        return 0.0
    top = sorted(cats_before, key=lambda k: -cats_before[k])[:TOP_CATEGORIES]
    return psi(_shares(cats_before, top), _shares(cats_after, top))


def _masses(profile: FieldProfile, edges: np.ndarray) -> np.ndarray:
    cdf = np.asarray(profile.numbers.get_cdf(edges.tolist()), dtype=np.float64)
    return np.diff(np.concatenate([[0.0], cdf]))  # get_cdf ends with 1.0: len(edges) + 1 bins


def _shares(counts: dict[str, float], top: list[str]) -> np.ndarray:
    total = sum(counts.values())
    head = np.asarray([counts.get(k, 0.0) for k in top], dtype=np.float64)
    return np.append(head, max(total - head.sum(), 0.0))


def window_step(
    before: WindowProfile, after: WindowProfile, fields: Iterable[str] | None = None
) -> float:
    """The largest per-field PSI from ``before`` to ``after`` over ``fields`` (default all;
    0 with nothing to compare)."""
    shared = before.fields.keys() & after.fields.keys()
    if fields is not None:
        shared &= set(fields)
    return max((field_step(before.fields[f], after.fields[f]) for f in shared), default=0.0)
