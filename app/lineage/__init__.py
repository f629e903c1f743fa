"""Baseline lineage: versions as nodes, transformations as edges."""

from app.lineage.model import Edge, Node, ancestors

__all__ = ["Edge", "Node", "ancestors"]
