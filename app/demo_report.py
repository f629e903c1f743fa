"""The demo's closing report: per window, drift score and severity, injection rate and
alpha, the synthetic share of the output and the baseline version, as a PNG and a table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from app.inject.smoothing import merged_windows
from app.inject.verdict import Verdict

SEVERITY_COLORS = {"low": "#e6c229", "medium": "#f17105", "high": "#d11149"}


@dataclass(frozen=True)
class WindowRow:
    window_id: int
    score: float  # 0 when the window raised no event
    severity: str
    rate: float
    alpha: float
    synthetic_share: float
    baseline_version: int


def synthetic_shares(outputs: Mapping[int, Sequence[tuple[Any, bool]]], window: int) -> list[float]:
    """Synthetic share of each output window (windows cut by real records, as the worker)."""
    flags = {id(row): s for rows in outputs.values() for row, s in rows}
    return [
        sum(flags[id(r)] for r in rows) / max(len(rows), 1)
        for rows in merged_windows(outputs, window)
    ]


def window_rows(
    events: Sequence[Mapping[str, Any]], verdicts: Sequence[Verdict], shares: Sequence[float]
) -> list[WindowRow]:
    by_window = {int(e["window_id"]): e for e in events}
    out = []
    for v in sorted(verdicts, key=lambda v: v.window_id):
        e = by_window.get(v.window_id)
        out.append(
            WindowRow(
                v.window_id,
                float(e["drift_score"]) if e else 0.0,
                str(e["severity"]) if e else "",
                v.rate,
                v.alpha if v.rate else 0.0,
                shares[v.window_id] if v.window_id < len(shares) else 0.0,
                v.baseline_version,
            )
        )
    return out


def plot(rows: Sequence[WindowRow], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r.window_id for r in rows]
    fig, axes = plt.subplots(3, 1, figsize=(11, 7), sharex=True)
    ax = axes[0]
    ax.plot(x, [r.score for r in rows], color="#555", lw=1)
    for sev, color in SEVERITY_COLORS.items():
        pts = [(r.window_id, r.score) for r in rows if r.severity == sev]
        if pts:
            ax.scatter(*zip(*pts, strict=True), color=color, label=sev, zorder=3, s=22)
    ax.set_ylabel("drift score")
    ax.set_ylim(0, 1.05)
    if any(r.severity for r in rows):
        ax.legend(loc="upper left", fontsize=8, ncol=3)
    ax = axes[1]
    ax.step(x, [r.rate for r in rows], where="mid", label="injection rate (synthetic/real)")
    ax.step(x, [r.alpha for r in rows], where="mid", label="alpha (toward current)", ls="--")
    ax.set_ylabel("injection")
    ax.legend(loc="upper left", fontsize=8)
    ax = axes[2]
    ax.bar(x, [r.synthetic_share for r in rows], color="#3a86ff", label="synthetic share")
    ax.set_ylabel("synthetic share")
    ax.set_xlabel("window")
    ax.set_ylim(0, 1)
    for prev, cur in pairwise(rows):
        if cur.baseline_version != prev.baseline_version:
            for a in axes:
                a.axvline(cur.window_id - 0.5, color="#2a9d8f", lw=1, ls=":")
            axes[0].text(cur.window_id, 1.0, f"v{cur.baseline_version}", fontsize=7)
    axes[0].set_title(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
