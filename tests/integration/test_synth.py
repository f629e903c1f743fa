"""The generative engine against the real Redis: model repository and the synth commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest
import redis

from app.baseline.build import build_baseline
from app.errors import ArtifactError
from app.repository.baselines import BaselineRepository
from app.repository.models import ModelRepository
from app.synth.drift import DriftPlan, profile_records
from app.synth.synthesizer import Synthesizer
from app.synth.train import TrainConfig, train_synthesizer
from app.synth.validate import constraints, record_problems
from tests.conftest import make_records
from tests.integration.harness import redis_url, unique
from tests.integration.test_cli import driftmend


@pytest.fixture
def client() -> redis.Redis:
    return redis.Redis.from_url(redis_url())


def test_model_repository_round_trip(client: redis.Redis) -> None:
    feed = unique("synth-repo")
    records = make_records(np.random.default_rng(3), 3_000)
    baseline = BaselineRepository(client).save(build_baseline(feed, records, "test"))
    repo = ModelRepository(client)
    assert repo.save_sample(feed, baseline.version, records) == 3_000
    assert repo.load_sample(feed, baseline.version) == records
    with pytest.raises(ArtifactError, match="no model"):
        Synthesizer.load(repo, feed)
    synth = train_synthesizer(baseline.schema, records, TrainConfig(epochs=5), seed=1)
    synth.save(repo, feed, baseline.version)
    assert repo.has_model(feed, baseline.version)
    loaded = Synthesizer.load(repo, feed)
    assert loaded.sample(100, seed=2) == synth.sample(100, seed=2)
    assert repo.latest_window(feed) is None
    window = profile_records(baseline.schema, make_records(np.random.default_rng(4), 500, 2.0))
    repo.save_latest_window(feed, window)
    stored = repo.latest_window(feed)
    assert stored is not None and stored.records == 500
    # a model stored under another baseline's schema is refused
    other = BaselineRepository(client).save(
        build_baseline(feed, [{"only": i} for i in range(100)], "test")
    )
    tensors, meta = repo.load_model(feed, baseline.version)
    repo.save_model(feed, other.version, tensors, meta)
    with pytest.raises(ArtifactError, match="another schema"):
        Synthesizer.load(repo, feed)


def test_synth_commands(tmp_path: Path) -> None:
    feed = unique("synth-cli")
    pd.DataFrame(make_records(np.random.default_rng(0), 2_000)).to_parquet(tmp_path / "s.parquet")
    pd.DataFrame(make_records(np.random.default_rng(1), 1_000, shift=3.0)).to_csv(
        tmp_path / "now.csv", index=False
    )
    made = driftmend(
        "baseline", "create", "--feed", feed, "--from-file", str(tmp_path / "s.parquet"), "--json"
    )
    assert made.returncode == 0, made.stderr
    assert orjson.loads(made.stdout)["model"]["rows"] == 1_600  # a fifth held out
    retrained = driftmend("synth", "train", "--feed", feed, "--epochs", "3", "--seed", "4")
    assert retrained.returncode == 0 and "3 epochs" in retrained.stdout, retrained.stderr
    out = driftmend("synth", "sample", "--feed", feed, "-n", "500", "--seed", "1")
    assert out.returncode == 0, out.stderr
    rows = [orjson.loads(line) for line in out.stdout.splitlines()]
    client = redis.Redis.from_url(redis_url())
    synth = Synthesizer.load(ModelRepository(client), feed)
    rules = constraints(synth.codecs, DriftPlan())
    assert len(rows) == 500 and all(record_problems(r, rules) == [] for r in rows)
    drifted = driftmend(
        "synth",
        "sample",
        "--feed",
        feed,
        "-n",
        "2000",
        "--alpha",
        "1",
        "--toward",
        str(tmp_path / "now.csv"),
        "--format",
        "csv",
        "--out",
        str(tmp_path / "d.csv"),
    )
    assert drifted.returncode == 0, drifted.stderr
    assert abs(pd.read_csv(tmp_path / "d.csv")["x"].median() - 3.0) < 0.3
    report = driftmend("synth", "report", "--feed", feed, "--json")
    assert report.returncode == 0, report.stderr
    figures = orjson.loads(report.stdout)["report"]
    assert figures["privacy"]["exact_copies"]["all_fields"] == 0
    assert 0 < figures["quality"]["score"] <= 1
    current = driftmend("synth", "sample", "--feed", feed, "--alpha", "0.5", "--toward", "current")
    assert current.returncode == 1 and "no current window profile" in current.stderr
    bad = driftmend("synth", "sample", "--feed", feed, "--alpha", "0.5")
    assert bad.returncode == 1 and "--toward" in bad.stderr
