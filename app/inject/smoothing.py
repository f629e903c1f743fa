"""How smooth a stream's transitions are: the largest window-to-window PSI jump.

Windows are cut by *real* record counts (synthetic records join the window of the real
records around them), so the input and the output are compared on the same real records.
Per window pair, the jump is the largest PSI over the fields (numbers on deciles of the
first window, categories by value); the stream's figure is the largest jump of the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Any

import numpy as np

from app.detectors.psi import psi

Row = Mapping[str, Any]


def windows_by_real(rows: Sequence[tuple[Row, bool]], size: int) -> list[list[Row]]:
    """Cut ``(record, synthetic)`` pairs into windows of ``size`` real records each."""
    out: list[list[Row]] = [[]]
    real = 0
    for row, synthetic in rows:
        if not synthetic:
            if real and real % size == 0:
                out.append([])
            real += 1
        out[-1].append(row)
    return [w for w in out if w]


def _numbers(rows: Sequence[Row], name: str) -> np.ndarray:
    vals = [r.get(name) for r in rows]
    return np.asarray([v for v in vals if type(v) in (int, float)], dtype=np.float64)


def field_jump(a: Sequence[Row], b: Sequence[Row], name: str, edges: np.ndarray | None) -> float:
    if edges is not None:
        bins = len(edges) + 1
        na = np.bincount(np.searchsorted(edges, _numbers(a, name)), minlength=bins)
        nb = np.bincount(np.searchsorted(edges, _numbers(b, name)), minlength=bins)
        return psi(na.astype(float), nb.astype(float))
    keys = sorted({str(r.get(name)) for r in (*a, *b)})
    index = {k: i for i, k in enumerate(keys)}
    ca, cb = np.zeros(len(keys)), np.zeros(len(keys))
    for r in a:
        ca[index[str(r.get(name))]] += 1
    for r in b:
        cb[index[str(r.get(name))]] += 1
    return psi(ca, cb)


@dataclass(frozen=True)
class Jump:
    """The step from window ``window - 1`` to window ``window``: its largest field PSI."""

    window: int
    field: str
    psi: float


def window_jumps(windows: Sequence[Sequence[Row]], fields: Sequence[str]) -> list[Jump]:
    """Per consecutive window pair, the field that moved most and its PSI."""
    if len(windows) < 2 or not fields:
        return []
    edges: dict[str, np.ndarray | None] = {}
    for name in fields:
        nums = _numbers(windows[0], name)
        numeric = len(nums) > 0.5 * len(windows[0])
        edges[name] = np.unique(np.quantile(nums, np.linspace(0.1, 0.9, 9))) if numeric else None
    out = []
    for i, (a, b) in enumerate(pairwise(windows), start=1):
        value, name = max((field_jump(a, b, f, edges[f]), f) for f in fields)
        out.append(Jump(i, name, value))
    return out


def largest_jump(windows: Sequence[Sequence[Row]], fields: Sequence[str]) -> float:
    """The largest PSI between consecutive windows over ``fields`` (0 for < 2 windows)."""
    return max((j.psi for j in window_jumps(windows, fields)), default=0.0)


Parts = Mapping[int, Sequence[tuple[Row, bool]]]


def merged_windows(parts: Parts, window: int) -> list[list[Row]]:
    """Windows of ``window`` real records cut per partition (``window / partitions`` each,
    as WindowClock cuts count windows) and merged across partitions."""
    size = max(1, -(-window // max(1, len(parts))))
    cut = [windows_by_real(rows, size) for _, rows in sorted(parts.items())]
    return [list(chain.from_iterable(ws)) for ws in zip(*cut, strict=False)]


def jumps(inputs: Parts, outputs: Parts, window: int, fields: Sequence[str]) -> tuple[float, float]:
    """The largest jump of the input and of the output (windows as ``merged_windows``)."""
    return (
        largest_jump(merged_windows(inputs, window), fields),
        largest_jump(merged_windows(outputs, window), fields),
    )
