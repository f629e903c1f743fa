"""Lineage values: JSON round trips, ancestors, data signatures."""

from __future__ import annotations

from app.lineage.graph import ancestors
from app.lineage.model import Edge, Node, data_signature


def test_round_trips() -> None:
    node = Node(3, "abc", {"records": 10, "sha256": "f"}, {"q": 0.9}, 123)
    edge = Edge(2, 3, "retrain", {"w": [0.2, 0.7]}, {"q": 0.9}, {"x": {"median": 1.0}}, "why", 5)
    assert Node.from_dict(node.to_dict()) == node
    assert Edge.from_dict(edge.to_dict()) == edge


def test_ancestors_follow_first_parents_nearest_first() -> None:
    edges = [
        Edge(None, 1, "create"),
        Edge(1, 2, "retrain"),
        Edge(2, 3, "profile_update"),
        Edge(1, 4, "revert"),
        Edge(4, 5, "retrain"),
    ]
    assert ancestors(edges, 3) == [2, 1]
    assert ancestors(edges, 5) == [4, 1]
    assert ancestors(edges, 1) == []
    assert ancestors([Edge(2, 2, "revert")], 2) == []  # no loop


def test_data_signature_ignores_order_but_not_content() -> None:
    rows = [{"a": 1, "b": "x"}, {"b": "y", "a": 2}]
    assert data_signature(rows) == data_signature(list(reversed(rows)))
    assert data_signature(rows)["records"] == 2
    assert data_signature(rows) != data_signature([{"a": 1, "b": "x"}, {"a": 3, "b": "y"}])
