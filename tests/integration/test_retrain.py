"""The retrainer on real Redis and Kafka: retrain, revert, keep the champion, cooldown,
profile update, publication on driftmend.baselines, lineage; and the lineage CLI."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import orjson
import pytest
import redis

from app.baseline import build_baseline
from app.events.baseline_event import decode_baseline_event
from app.heal.publish import BaselinePublisher
from app.heal.retrain import Retrainer
from app.profile.builder import ProfileBuilder
from app.profile.window import WindowProfile
from app.repository import BaselineRepository
from app.repository.lineage import LineageRepository
from app.repository.models import ModelRepository
from app.settings import load_settings
from app.synth.synthesizer import Synthesizer
from app.synth.train import TrainConfig, train_synthesizer
from tests.conftest import make_records
from tests.integration.harness import ROOT, bootstrap, read_all, redis_url, unique

N = 3_000


def records(seed: int, shift: float = 0.0, n: int = N) -> list[dict[str, Any]]:
    return make_records(np.random.default_rng(seed), n, shift=shift)


class Feed:
    """A feed with a baseline v1 (and its model and sample) on state A."""

    def __init__(self, cooldown: float = 0.0) -> None:
        self.feed = unique("heal")
        client = redis.Redis.from_url(redis_url())
        self.settings = load_settings(
            kafka_bootstrap_servers=bootstrap(),
            redis_url=redis_url(),
            retrain_cooldown_seconds=cooldown,
            retrain_budget_seconds=4.0,
        )
        self.baselines = BaselineRepository(client)
        self.models = ModelRepository(client)
        self.lineage = LineageRepository(client)
        self.publisher = BaselinePublisher(self.settings, self.baselines, self.models, self.lineage)
        rows = records(1)
        base = self.baselines.save(build_baseline(self.feed, rows, "test"))
        self.models.save_sample(self.feed, base.version, rows)
        model = train_synthesizer(base.schema, rows, TrainConfig(epochs=30, budget_seconds=4), 1)
        model.save(self.models, self.feed, base.version)
        self.publisher.publish(base, None, "create", save=False)
        self.retrainer = Retrainer(
            self.settings, self.baselines, self.models, self.lineage, self.publisher, seed=3
        )

    def window(self, rows: list[dict[str, Any]]) -> WindowProfile:
        baseline = self.baselines.get(self.feed)
        builder = ProfileBuilder(baseline.schema, baseline.edges)
        builder.add(rows)
        return builder.snapshot(self.feed, 7, 1_000, 2_000)

    def handle(self, severity: str, rows: list[dict[str, Any]], now_ms: int = 10**12) -> Any:
        return self.retrainer.handle(severity, "ev", rows, self.window(rows), [], now_ms)

    def current(self) -> int:
        return self.baselines.current_version(self.feed)


def test_sudden_shift_retrains_and_publishes() -> None:
    f = Feed()
    outcome = f.handle("high", records(2, shift=2.0))
    assert outcome.action == "retrain", outcome
    assert outcome.new_version == f.current() == 2
    assert f.models.has_model(f.feed, 2)
    assert outcome.metrics["challenger_distance"] < outcome.metrics["champion_distance"]
    graph = f.lineage.graph(f.feed)
    assert [(e["parent"], e["child"], e["transformation"]) for e in graph["edges"]] == [
        (None, 1, "create"),
        (1, 2, "retrain"),
    ]
    signature = graph["nodes"][1]["data_signature"]
    assert signature["records"] == sum(signature["parts"].values()) > 0
    assert signature["parts"]["injected"] == 0 and signature["time_range_ms"] == [1_000, 2_000]
    assert graph["edges"][1]["parameters"]["budget_seconds"] == 4.0
    assert set(graph["edges"][1]["distribution"]) == {"x", "amount", "category", "score", "id"}
    published = [
        decode_baseline_event(m.value())
        for m in read_all("driftmend.baselines", idle=2.0)
        if m.key() == f.feed.encode()
    ]
    assert [(p["version"], p["transformation"], p["has_model"]) for p in published] == [
        (1, "create", True),
        (2, "retrain", True),
    ]


def test_medium_drift_fine_tunes_the_champions_model() -> None:
    f = Feed()
    outcome = f.handle("medium", records(2, shift=2.0))
    assert outcome.action == "fine_tune", outcome
    assert outcome.new_version == f.current() == 2
    edge = f.lineage.edges(f.feed)[-1]
    assert (edge.parent, edge.transformation, edge.parameters["warm_start_from"]) == (
        1,
        "fine_tune",
        1,
    )
    assert Synthesizer.load(f.models, f.feed, 2).info["warm_start"] is True
    assert f.models.load_model(f.feed, 2) != f.models.load_model(f.feed, 1)  # trained on


def test_recurring_drift_reverts_to_the_ancestor_without_training() -> None:
    f = Feed()
    assert f.handle("high", records(2, shift=2.0), now_ms=10**12).action == "retrain"
    back = f.handle("high", records(4), now_ms=10**12 + 10**6)  # A again
    assert back.action == "revert", back
    assert back.new_version == f.current() == 3
    assert f.baselines.get(f.feed, 3).profile.records == f.baselines.get(f.feed, 1).profile.records
    assert f.models.load_model(f.feed, 3) == f.models.load_model(f.feed, 1)  # carried, not trained
    edge = f.lineage.edges(f.feed)[-1]
    assert (edge.parent, edge.transformation, edge.parameters["to_version"]) == (2, "revert", 1)
    nodes = [f.lineage.node(f.feed, v) for v in (1, 3)]
    assert nodes[0] is not None and nodes[1] is not None
    assert nodes[1].content_hash == nodes[0].content_hash


def test_revert_needs_only_the_window() -> None:
    f = Feed()
    assert f.handle("high", records(2, shift=2.0), now_ms=10**12).action == "retrain"
    trained = f.models.load_model(f.feed, 2)
    window = f.window(records(8))  # back to A; no records read back
    back = f.retrainer.handle("medium", "ev-2", [], window, None, 10**12 + 10**6)
    assert (back.action, back.new_version) == ("revert", 3)
    assert back.metrics["ancestor_version"] == 1.0
    assert f.models.load_model(f.feed, 2) == trained
    assert f.models.load_model(f.feed, 3) != trained  # v1's model, not the retrained one


def test_a_challenger_that_does_not_fit_better_is_rejected() -> None:
    f = Feed()
    outcome = f.handle("high", records(5))  # "high" but the data is still A
    assert outcome.action == "kept_champion"
    assert "significantly" in outcome.reason
    assert f.current() == 1


def test_cooldown_stops_a_retrain_storm() -> None:
    f = Feed(cooldown=600.0)
    assert f.handle("high", records(2, shift=2.0), now_ms=10**12).action == "retrain"
    again = f.handle("high", records(6, shift=3.0), now_ms=10**12 + 5_000)
    assert again.action == "cooldown" and f.current() == 2


def test_low_drift_updates_the_profile_and_keeps_the_model() -> None:
    f = Feed()
    outcome = f.handle("low", records(7, shift=0.3))
    assert outcome.action == "profile_update" and f.current() == 2
    assert f.models.load_model(f.feed, 2) == f.models.load_model(f.feed, 1)
    before = f.baselines.get(f.feed, 1).profile.fields["x"].mean
    after = f.baselines.get(f.feed, 2).profile.fields["x"].mean
    assert 0.0 < after - before < 0.3  # moved toward the current data, by its weight
    assert f.baselines.get(f.feed, 2).schema == f.baselines.get(f.feed, 1).schema
    # the mixture is v2's sample, so a second update starts from v2, not from v1
    sample = f.models.load_sample(f.feed, 2)
    assert len(sample) == len(f.models.load_sample(f.feed, 1)) + N
    assert f.handle("low", records(9, shift=0.3)).action == "profile_update"
    again = f.baselines.get(f.feed, 3).profile.fields["x"].mean
    assert again - after > 0.0
    assert [e.transformation for e in f.lineage.edges(f.feed)] == [
        "create",
        "profile_update",
        "profile_update",
    ]


def test_lineage_cli_and_rollback() -> None:
    f = Feed()
    f.handle("high", records(2, shift=2.0))

    def driftmend(*args: str) -> subprocess.CompletedProcess[str]:
        env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap(), "REDIS_URL": redis_url(), "PATH": ""}
        cmd = [sys.executable, "-m", "app.cli.main", *args]
        return subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    done = driftmend("baseline", "rollback", "--feed", f.feed, "--to", "1", "--json")
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout) == {"feed": f.feed, "version": 3, "copy_of": 1}
    shown = driftmend("lineage", "show", "--feed", f.feed, "--json")
    assert shown.returncode == 0, shown.stderr
    graph = orjson.loads(shown.stdout)
    assert graph["current_version"] == 3
    assert [e["transformation"] for e in graph["edges"]] == ["create", "retrain", "rollback"]
    tree = driftmend("lineage", "show", "--feed", f.feed)
    assert tree.returncode == 0 and "rollback" in tree.stdout and "v3" in tree.stdout
    missing = driftmend("baseline", "rollback", "--feed", f.feed, "--to", "99")
    assert missing.returncode == 1 and missing.stderr.strip()


@pytest.fixture(autouse=True)
def _quiet_torch() -> None:
    import torch

    torch.set_num_threads(2)
