"""A baseline profiled from other records on an existing baseline's schema.

A profile update keeps the champion's model, and a repaired model is the champion's moved
toward an ancestor's: both fit the champion's schema, which a stored model is checked
against, so their new versions keep that schema (and the tolerances) rather than infer one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from app.baseline.build import quantile_edges
from app.baseline.model import Baseline
from app.errors import SchemaError
from app.profile.builder import ProfileBuilder
from app.profile.window import WindowProfile

BATCH = 10_000


def rebuild(like: Baseline, records: Sequence[Mapping[str, Any]], source: str) -> Baseline:
    """``records`` profiled on ``like``'s schema (bins at their own deciles); tolerances kept."""
    if not records:
        raise SchemaError(f"no records to profile feed {like.feed!r} from {source}")

    def profile(edges: dict[str, tuple[float, ...]] | None) -> WindowProfile:
        builder = ProfileBuilder(like.schema, edges)
        for i in range(0, len(records), BATCH):
            builder.add(list(records[i : i + BATCH]))
        return builder.snapshot(like.feed, 0, 0, 0)

    final = profile(quantile_edges(profile(None), like.schema))
    return replace(
        like, version=0, profile=final, created_at_ms=int(time.time() * 1000), source=source
    )
