"""Build a baseline from sample records: infer the schema, then profile twice (edges, bins)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from app.analysis.tolerances import Tolerances
from app.baseline.model import Baseline
from app.errors import SchemaError
from app.profile.builder import ProfileBuilder
from app.profile.window import WindowProfile
from app.schema.infer import infer_schema
from app.schema.model import Schema

BINS = 10


def quantile_edges(
    profile: WindowProfile, schema: Schema, bins: int = BINS
) -> dict[str, tuple[float, ...]]:
    """Inner bin edges at the baseline's deciles (deduplicated) for continuous fields."""
    edges: dict[str, tuple[float, ...]] = {}
    ranks = np.linspace(0, 1, bins + 1)[1:-1]
    for spec in schema.fields:
        fp = profile.fields.get(spec.name)
        if spec.kind != "continuous" or fp is None or fp.numbers is None:
            continue
        edges[spec.name] = tuple(float(e) for e in np.unique(fp.numbers.get_quantiles(ranks)))
    return edges


def build_baseline(
    feed: str,
    records: Sequence[Mapping[str, Any]],
    source: str,
    tolerances: Tolerances | None = None,
    batch: int = 10_000,
) -> Baseline:
    if not records:
        raise SchemaError(f"no records to build a baseline for feed {feed!r} from {source}")
    schema = infer_schema(records)

    def profile(edges: dict[str, tuple[float, ...]] | None) -> WindowProfile:
        builder = ProfileBuilder(schema, edges)
        for i in range(0, len(records), batch):
            builder.add(records[i : i + batch])
        return builder.snapshot(feed, 0, 0, 0)

    first = profile(None)
    final = profile(quantile_edges(first, schema))
    return Baseline(
        feed=feed,
        version=0,
        schema=schema,
        profile=final,
        tolerances=tolerances or Tolerances(),
        created_at_ms=int(time.time() * 1000),
        source=source,
    )
