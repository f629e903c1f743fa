"""Baseline lineage: versions as nodes, transformations as edges, and queries on them."""

from app.lineage.graph import ancestors, children, descendants, parents, roots
from app.lineage.model import Edge, Node, baseline_hash, data_signature

__all__ = [
    "Edge",
    "Node",
    "ancestors",
    "baseline_hash",
    "children",
    "data_signature",
    "descendants",
    "parents",
    "roots",
]
