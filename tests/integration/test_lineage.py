"""Lineage in real Redis and the publisher on real Redis and Kafka."""

from __future__ import annotations

import numpy as np
import pytest
import redis

from app.baseline import build_baseline
from app.errors import ConfigError, RepositoryError
from app.events.baseline_event import decode_baseline_event
from app.heal.publish import Artifacts, BaselinePublisher
from app.lineage.model import Edge, Node, baseline_hash
from app.repository import BaselineRepository
from app.repository.lineage import LineageRepository
from app.repository.models import ModelRepository
from app.settings import load_settings
from tests.conftest import make_records
from tests.integration.harness import bootstrap, free_port, read_all, redis_url, unique


def client() -> redis.Redis:
    return redis.Redis.from_url(redis_url())


def test_nodes_edges_graph_and_cooldown_clock() -> None:
    feed, repo = unique("lineage"), LineageRepository(client())
    assert repo.edges(feed) == [] and repo.node(feed, 1) is None
    assert repo.graph(feed) == {"feed": feed, "nodes": [], "edges": []}
    root = Node(1, "h1", {"records": 10, "sha256": "s"}, {}, 100)
    repo.record(feed, root, Edge(None, 1, "create", {"source": "file"}, {}, {}, "made", 100))
    child = Node(2, "h2", {"records": 20, "sha256": "t"}, {"q": 0.9}, 200)
    repo.record(
        feed, child, Edge(1, 2, "retrain", {"w": [0.2, 0.8]}, {"q": 0.9}, {"x": {}}, "", 200)
    )
    assert repo.node(feed, 2) == child
    assert [(e.parent, e.child, e.transformation) for e in repo.edges(feed)] == [
        (None, 1, "create"),
        (1, 2, "retrain"),
    ]
    graph = repo.graph(feed)
    assert graph["nodes"] == [root.to_dict(), child.to_dict()]
    assert graph["edges"][1]["parameters"] == {"w": [0.2, 0.8]}
    keys = sorted(k.decode() for k in client().scan_iter(f"driftmend:feed:{feed}:lineage:*"))
    assert keys == [f"driftmend:feed:{feed}:lineage:{k}" for k in ("edges", "node:1", "node:2")]
    assert repo.last_retrain_ms(feed) == 0
    repo.set_last_retrain_ms(feed, 1_234)
    assert repo.last_retrain_ms(feed) == 1_234


def test_one_retrain_claim_per_cooldown_whichever_worker_asks() -> None:
    repo, feed = LineageRepository(client()), unique("lineage-claim")
    assert repo.claim_retrain(feed, 100_000, 60_000) is None  # the first: claimed
    assert repo.claim_retrain(feed, 130_000, 60_000) == 100_000  # another worker, 30 s on
    assert repo.last_retrain_ms(feed) == 100_000
    assert repo.claim_retrain(feed, 160_000, 60_000) is None  # the cooldown is over
    assert repo.last_retrain_ms(feed) == 160_000


def test_redis_errors_are_translated() -> None:
    dead = redis.Redis(port=free_port(), socket_connect_timeout=1)
    with pytest.raises(RepositoryError):
        LineageRepository(dead).edges("x")


def test_publisher_stores_makes_current_records_and_announces() -> None:
    feed = unique("publish")
    c = client()
    settings = load_settings(kafka_bootstrap_servers=bootstrap(), redis_url=redis_url())
    baselines, models, lineage = BaselineRepository(c), ModelRepository(c), LineageRepository(c)
    publisher = BaselinePublisher(settings, baselines, models, lineage)
    rows = make_records(np.random.default_rng(1), 2_000)
    first = publisher.publish(
        build_baseline(feed, rows, "test"),
        None,
        "create",
        artifacts=Artifacts(sample=rows),
        data_signature={"records": len(rows)},
        reason="made",
    )
    assert first.version == baselines.current_version(feed) == 1
    assert len(models.load_sample(feed, 1)) == len(rows)
    second = publisher.publish(
        first,
        1,
        "rollback",
        artifacts=Artifacts(carry_from=1),
        parameters={"to_version": 1},
        metrics={"m": 1.5},
        reason="copy",
        event_id="ev-9",
    )
    assert second.version == baselines.current_version(feed) == 2
    assert models.load_sample(feed, 2) == models.load_sample(feed, 1)
    nodes = [lineage.node(feed, v) for v in (1, 2)]
    assert nodes[0] is not None and nodes[1] is not None
    assert nodes[1].content_hash == nodes[0].content_hash == baseline_hash(first)
    edge = lineage.edges(feed)[-1]
    assert (edge.parent, edge.child, edge.transformation, edge.reason) == (1, 2, "rollback", "copy")
    assert edge.distribution["x"]["median"] == pytest.approx(
        float(np.median([r["x"] for r in rows])), abs=0.1
    )
    with pytest.raises(ConfigError):
        publisher.publish(first, 2, "magic")
    assert baselines.current_version(feed) == 2 and baselines.versions(feed) == [1, 2]
    published = [
        decode_baseline_event(m.value())
        for m in read_all(settings.baselines_topic, idle=2.0)
        if m.key() == feed.encode()
    ]
    assert [(p["version"], p["parent_version"], p["transformation"]) for p in published] == [
        (1, None, "create"),
        (2, 1, "rollback"),
    ]
    assert published[1]["content_hash"] == baseline_hash(baselines.get(feed, 2))
    assert published[1]["event_id"] == "ev-9" and published[1]["metrics"] == {"m": 1.5}
    assert published[1]["has_model"] is False
