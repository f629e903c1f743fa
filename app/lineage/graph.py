"""Graph queries over a feed's lineage edges (parent -> child).

Every version has one parent (the version it was made from; ``None`` for a root), so the
graph is a forest; queries stop at cycles a damaged history could hold.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.lineage.model import Edge


def parents(edges: Iterable[Edge]) -> dict[int, int | None]:
    """Each version's parent (its first edge wins)."""
    out: dict[int, int | None] = {}
    for e in edges:
        out.setdefault(e.child, e.parent)
    return out


def ancestors(edges: Iterable[Edge], version: int) -> list[int]:
    """The versions ``version`` descends from, nearest first."""
    parent_of = parents(edges)
    out: list[int] = []
    seen = {version}
    current = parent_of.get(version)
    while current is not None and current not in seen:
        out.append(current)
        seen.add(current)
        current = parent_of.get(current)
    return out


def children(edges: Iterable[Edge], version: int | None) -> list[int]:
    """Versions made directly from ``version`` (``None``: the roots), in order."""
    return [child for child, parent in parents(edges).items() if parent == version]


def descendants(edges: Iterable[Edge], version: int) -> list[int]:
    """Every version made from ``version``, directly or not, breadth first."""
    parent_of = parents(edges)
    below: dict[int | None, list[int]] = {}
    for child, parent in parent_of.items():
        below.setdefault(parent, []).append(child)
    out: list[int] = []
    seen = {version}
    queue = [version]
    while queue:
        for child in below.get(queue.pop(0), []):
            if child not in seen:
                seen.add(child)
                out.append(child)
                queue.append(child)
    return out


def roots(edges: Iterable[Edge]) -> list[int]:
    """Versions with no parent, or whose parent is not in the graph."""
    parent_of = parents(edges)
    return [c for c, p in parent_of.items() if p is None or p not in parent_of]
