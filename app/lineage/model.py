"""Lineage values: a node per baseline/model version, an edge per transformation.

Transformations: ``create``, ``profile_update``, ``retrain``, ``fine_tune``, ``revert``,
``repair``, ``rollback``, ``tolerances``. Everything is plain JSON (no pickle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from app.baseline.model import Baseline
from app.profile.field import FieldProfile

TRANSFORMATIONS = (
    "create",
    "profile_update",
    "retrain",
    "fine_tune",
    "revert",
    "repair",
    "rollback",
    "tolerances",
)


@dataclass(frozen=True)
class Node:
    version: int
    content_hash: str  # of what the baseline says (schema, profile, tolerances): baseline_hash
    data_signature: dict[str, Any]  # records, hash and time range of the training data
    metrics: dict[str, float] = field(default_factory=dict)
    created_at_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Node:
        return cls(
            int(data["version"]),
            str(data["content_hash"]),
            dict(data.get("data_signature") or {}),
            {k: float(v) for k, v in (data.get("metrics") or {}).items()},
            int(data.get("created_at_ms", 0)),
        )


@dataclass(frozen=True)
class Edge:
    parent: int | None  # None: the root (create)
    child: int
    transformation: str
    parameters: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    distribution: dict[str, Any] = field(default_factory=dict)  # per-field summary
    reason: str = ""
    created_at_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Edge:
        parent = data.get("parent")
        return cls(
            None if parent is None else int(parent),
            int(data["child"]),
            str(data["transformation"]),
            dict(data.get("parameters") or {}),
            {k: float(v) for k, v in (data.get("metrics") or {}).items()},
            dict(data.get("distribution") or {}),
            str(data.get("reason", "")),
            int(data.get("created_at_ms", 0)),
        )


def content_hash(serialized: bytes) -> str:
    return hashlib.sha256(serialized).hexdigest()


def baseline_hash(baseline: Baseline) -> str:
    """SHA-256 of what a baseline says -- its schema, profile and tolerances as sorted-key
    JSON -- so a revert or rollback copy hashes like the version it copies (the version
    number, creation time and source are left out).

    Sketch images are not canonical (a KLL sketch reorders its buffer when queried, an HLL
    keeps coupons in hash-table order), so each sketch is hashed by what it answers: KLL
    by its count and 101 quantiles, frequent items by their counts, HLL by its estimate."""
    profile = orjson.loads(baseline.profile.serialize())
    profile["fields"] = {
        name: _canonical_field(fp) for name, fp in sorted(baseline.profile.fields.items())
    }
    doc = {
        "schema": baseline.schema.to_dict(),
        "profile": profile,
        "tolerances": baseline.tolerances.to_dict(),
    }
    return content_hash(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS))


_GRID = [i / 100 for i in range(101)]


def _canonical_field(fp: FieldProfile) -> dict[str, Any]:
    def kll(sketch: Any) -> Any:
        if sketch is None or sketch.is_empty():
            return None if sketch is None else {"n": 0}
        return {"n": int(sketch.n), "q": [float(v) for v in sketch.get_quantiles(_GRID)]}

    out = fp.to_dict()
    out["numbers"], out["lengths"] = kll(fp.numbers), kll(fp.lengths)
    out["items"] = None if fp.items is None else sorted(fp.category_counts().items())
    out["distinct"] = None if fp.distinct is None else round(fp.distinct_estimate(), 6)
    return out


def data_signature(
    records: Sequence[Mapping[str, Any]],
    *,
    time_range_ms: tuple[int, int] | None = None,
    parts: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """What the training data was: count, an order-independent hash of its records, the time
    range it covers (epoch ms, when known) and how many records came from each source."""
    digest = hashlib.sha256()
    for h in sorted(
        hashlib.blake2b(orjson.dumps(dict(r), option=orjson.OPT_SORT_KEYS), digest_size=8).digest()
        for r in records
    ):
        digest.update(h)
    out: dict[str, Any] = {"records": len(records), "sha256": digest.hexdigest()}
    if time_range_ms is not None:
        out["time_range_ms"] = [int(time_range_ms[0]), int(time_range_ms[1])]
    if parts:
        out["parts"] = {k: int(v) for k, v in parts.items()}
    return out
