"""Graph queries over lineage edges."""

from __future__ import annotations

from app.lineage.graph import ancestors, children, descendants, parents, roots
from app.lineage.model import Edge

# 1 -create-> ; 1 -> 2 retrain; 2 -> 3 profile_update; 3 -> 4 revert (to 1's content);
# 4 -> 5 retrain; a second root 6 (baseline create again, no parent)
EDGES = [
    Edge(None, 1, "create"),
    Edge(1, 2, "retrain"),
    Edge(2, 3, "profile_update"),
    Edge(3, 4, "revert"),
    Edge(4, 5, "retrain"),
    Edge(None, 6, "create"),
]


def test_parents_take_the_first_edge_of_a_version() -> None:
    assert parents([*EDGES, Edge(1, 3, "rollback")])[3] == 2
    assert parents(EDGES)[1] is None


def test_ancestors_are_nearest_first() -> None:
    assert ancestors(EDGES, 5) == [4, 3, 2, 1]
    assert ancestors(EDGES, 2) == [1]
    assert ancestors(EDGES, 1) == []
    assert ancestors(EDGES, 99) == []  # unknown version: no history


def test_children_descendants_and_roots() -> None:
    assert children(EDGES, 1) == [2]
    assert children(EDGES, None) == [1, 6]
    assert children(EDGES, 5) == []
    assert descendants(EDGES, 2) == [3, 4, 5]
    assert descendants(EDGES, 6) == []
    assert roots(EDGES) == [1, 6]
    assert roots([Edge(7, 8, "retrain")]) == [8]  # its parent's edge is not in the graph


def test_queries_stop_at_cycles() -> None:
    loop = [Edge(2, 1, "revert"), Edge(1, 2, "retrain")]
    assert ancestors(loop, 1) == [2]
    assert descendants(loop, 1) == [2]
    assert ancestors([Edge(2, 2, "revert")], 2) == []
