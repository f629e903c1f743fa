"""Lineage values: a node per baseline/model version, an edge per transformation.

Transformations: ``create``, ``profile_update``, ``retrain``, ``revert``, ``repair``,
``rollback``, ``tolerances``. Everything is plain JSON (no pickle).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

TRANSFORMATIONS = (
    "create",
    "profile_update",
    "retrain",
    "revert",
    "repair",
    "rollback",
    "tolerances",
)


@dataclass(frozen=True)
class Node:
    version: int
    content_hash: str  # of the serialized baseline (schema, profile, tolerances)
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


def data_signature(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the training data was: count and a hash of its records (order-independent)."""
    digest = hashlib.sha256()
    for h in sorted(
        hashlib.blake2b(orjson.dumps(dict(r), option=orjson.OPT_SORT_KEYS), digest_size=8).digest()
        for r in records
    ):
        digest.update(h)
    return {"records": len(records), "sha256": digest.hexdigest()}


def ancestors(edges: Iterable[Edge], version: int) -> list[int]:
    """Versions ``version`` descends from, nearest first (first parent of each node)."""
    parent_of: dict[int, int | None] = {}
    for e in edges:
        parent_of.setdefault(e.child, e.parent)
    out: list[int] = []
    seen = {version}
    current = parent_of.get(version)
    while current is not None and current not in seen:
        out.append(current)
        seen.add(current)
        current = parent_of.get(current)
    return out
