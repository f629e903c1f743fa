"""Detection benchmark: false alarms on stationary streams and delay on drifting ones.

Runs the analyzer (the same code the workers run) on generated windows, in-process:

    python -m load_tests.detection [--windows 100]

Prints per scenario: windows until the first alarm after the change (delay), misses (no
alarm within 5 windows) and false alarms per 100 stationary windows, per window size.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from app.analysis import Analyzer
from app.baseline import build_baseline
from app.baseline.model import Baseline
from app.profile import ProfileBuilder
from tests.conftest import make_records

Mutate = Callable[[list[dict[str, Any]], np.random.Generator], None]


def window(baseline: Baseline, records: list[dict[str, Any]]) -> Any:
    builder = ProfileBuilder(baseline.schema, baseline.edges)
    builder.add(records)
    return builder.snapshot("bench", 0, 0, 0)


def scale_field(name: str, factor: float) -> Mutate:
    def mutate(rows: list[dict[str, Any]], rng: np.random.Generator) -> None:
        for r in rows:
            r[name] = r[name] * factor

    return mutate


def categorical_shift(rows: list[dict[str, Any]], rng: np.random.Generator) -> None:
    for r in rows:
        if r["category"] == "a" and rng.random() < 0.1:
            r["category"] = "d"


def null_spike(rows: list[dict[str, Any]], rng: np.random.Generator) -> None:
    for r in rows:
        if rng.random() < 0.05:
            r["amount"] = None


def new_field(rows: list[dict[str, Any]], rng: np.random.Generator) -> None:
    for r in rows:
        r["channel"] = "web"


def type_change(rows: list[dict[str, Any]], rng: np.random.Generator) -> None:
    for r in rows:
        r["score"] = None if r["score"] is None else str(r["score"])


def false_alarms(baseline: Baseline, size: int, windows: int, seed: int) -> float:
    analyzer = Analyzer(baseline)
    rng = np.random.default_rng(seed)
    alarms = sum(
        analyzer.analyze(window(baseline, make_records(rng, size))).drifted for _ in range(windows)
    )
    return 100.0 * alarms / windows


def delay(
    baseline: Baseline, size: int, shift: float, mutate: Mutate | None, seed: int, horizon: int = 5
) -> int | None:
    """Windows after the change until the first alarm (1 = the first changed window)."""
    analyzer = Analyzer(baseline)
    rng = np.random.default_rng(seed)
    for k in range(1, horizon + 1):
        rows = make_records(rng, size, shift=shift)
        if mutate is not None:
            mutate(rows, rng)
        if analyzer.analyze(window(baseline, rows)).drifted:
            return k
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--windows", type=int, default=100)
    parser.add_argument("--baseline", type=int, default=100_000)
    args = parser.parse_args()
    started = time.perf_counter()
    baseline = build_baseline(
        "bench", make_records(np.random.default_rng(1), args.baseline), "generated"
    )
    print(f"baseline: {args.baseline} records, {len(baseline.schema.fields)} fields")
    print("\nstationary streams: false alarms per 100 windows")
    for size in (500, 2_000, 10_000, 100_000):
        count = (
            max(args.windows * 10_000 // max(size, 10_000), 10) if size > 10_000 else args.windows
        )
        print(
            f"  window {size:>7}: {false_alarms(baseline, size, count, size):5.1f}"
            f"  ({count} windows)"
        )
    print("\ndrift at 10,000-record windows: windows until detection (5 = horizon)")
    scenarios: list[tuple[str, float, Mutate | None]] = [
        *[(f"mean shift {s} sd (x)", s, None) for s in (0.05, 0.1, 0.25, 0.5, 1.0)],
        ("variance x1.5 (amount)", 0.0, scale_field("amount", 1.5)),
        ("categorical: 10% of 'a' -> 'd'", 0.0, categorical_shift),
        ("null spike 5% (amount)", 0.0, null_spike),
        ("new field", 0.0, new_field),
        ("type change int->string", 0.0, type_change),
    ]
    for name, shift, mutate in scenarios:
        found = [delay(baseline, 10_000, shift, mutate, seed) for seed in range(5)]
        hits = [d for d in found if d is not None]
        shown = f"mean delay {np.mean(hits):.1f} windows" if hits else "never"
        print(f"  {name:<32} {shown:<22} misses {len(found) - len(hits)}/5")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
