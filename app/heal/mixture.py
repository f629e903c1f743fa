"""Weighted training data: historical, current and injected records in set proportions.

The parts are resampled (seeded) so that part ``i`` makes up ``w_i / sum(w)`` of ``size``
records; an empty part gives its share to the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

Records = Sequence[Mapping[str, Any]]


def mixture(
    parts: Sequence[tuple[Records, float]], size: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    live = [(rows, w) for rows, w in parts if rows and w > 0]
    if not live or size <= 0:
        return []
    total = sum(w for _, w in live)
    counts = [round(size * w / total) for _, w in live]
    out: list[dict[str, Any]] = []
    for (rows, _w), n in zip(live, counts, strict=True):
        idx = rng.choice(len(rows), size=n, replace=n > len(rows))
        out.extend(dict(rows[int(i)]) for i in idx)
    order = rng.permutation(len(out))
    return [out[int(i)] for i in order]


def split(
    rows: Records, holdout: float, rng: np.random.Generator
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A seeded train / holdout split."""
    order = rng.permutation(len(rows))
    cut = int(len(rows) * (1 - holdout))
    return [dict(rows[int(i)]) for i in order[:cut]], [dict(rows[int(i)]) for i in order[cut:]]
