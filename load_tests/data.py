"""Generated feeds for benchmarks: ~20 mixed fields per record, seeded."""

from __future__ import annotations

from typing import Any

import numpy as np


def mixed_records(n: int, seed: int = 0, shift: float = 0.0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    floats = rng.normal(shift, 1.0, (n, 8))
    ints = rng.integers(0, 10_000, (n, 4))
    cats = rng.choice(np.array(["red", "green", "blue", "amber", "violet"]), (n, 4))
    bools = rng.random((n, 2)) < 0.3
    base_ms = 1_700_000_000_000
    rows = []
    for i in range(n):
        row: dict[str, Any] = {f"f{j}": float(floats[i, j]) for j in range(8)}
        row.update({f"i{j}": int(ints[i, j]) for j in range(4)})
        row.update({f"c{j}": str(cats[i, j]) for j in range(4)})
        row.update({"b0": bool(bools[i, 0]), "b1": bool(bools[i, 1])})
        row["ts"] = np.datetime_as_string(np.datetime64(base_ms + i * 10, "ms"), unit="s") + "Z"
        row["id"] = f"order-{i:010d}"
        rows.append(row)
    return rows
