"""The nearest healthy ancestor: judged on the window by each candidate's analyzer."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from app.analysis.tolerances import Tolerances
from app.baseline import build_baseline
from app.baseline.model import Baseline
from app.lineage.healthy import nearest_healthy, rank_ancestors
from app.lineage.model import baseline_hash
from tests.conftest import make_records, window_of


def baselines(rng: np.random.Generator) -> tuple[Baseline, Baseline, Baseline]:
    a = build_baseline("f", make_records(rng, 5_000), "A").with_version(1)
    b = build_baseline("f", make_records(rng, 5_000, shift=2.0), "B").with_version(2)
    c = build_baseline("f", make_records(rng, 5_000, shift=4.0), "C").with_version(3)
    return a, b, c


def test_the_ancestor_of_the_windows_distribution_is_found(rng: np.random.Generator) -> None:
    a, b, c = baselines(rng)
    window = window_of(c, make_records(rng, 3_000))  # back to A, profiled on C's bins
    fits = rank_ancestors([b, a], window, seed=1)
    assert [f.baseline.version for f in fits] == [1, 2]
    assert fits[0].healthy and not fits[1].healthy
    assert fits[0].score < fits[1].score
    found = nearest_healthy(fits)
    assert found is not None and found.baseline is a and found.distance == 1


def test_no_healthy_ancestor_ranks_by_fit(rng: np.random.Generator) -> None:
    a, b, _ = baselines(rng)
    window = window_of(a, make_records(rng, 3_000, shift=3.0))  # between B and C, far from A
    fits = rank_ancestors([a, b], window, seed=1)
    assert nearest_healthy(fits) is None
    assert not any(f.healthy for f in fits)
    assert fits[-1].baseline is a  # the farthest from the data ranks last


def test_ties_go_to_the_nearer_ancestor(rng: np.random.Generator) -> None:
    a, _, _ = baselines(rng)
    window = window_of(a, make_records(rng, 3_000))
    same = [a.with_version(4), a.with_version(1)]
    fits = rank_ancestors(same, window, seed=1)
    assert fits[0].score == fits[1].score
    assert [f.distance for f in fits] == [0, 1]


def test_the_champions_tolerances_judge(rng: np.random.Generator) -> None:
    a, _, _ = baselines(rng)
    window = window_of(a, make_records(rng, 3_000, shift=0.3))
    assert not rank_ancestors([a], window, seed=1)[0].healthy
    loose = Tolerances.from_dict(
        {"defaults": {k: {"low": 0.99, "medium": 0.995, "high": 1.0} for k in CONTINUOUS}}
    )
    assert rank_ancestors([a], window, loose, seed=1)[0].healthy


CONTINUOUS = (
    "distribution",
    "distribution_divergence",
    "distribution_shape",
    "distribution_distance",
    "stream_change",
)


def test_baseline_hash_is_about_content(rng: np.random.Generator) -> None:
    a, b, _ = baselines(rng)
    copy = Baseline.deserialize(replace(a, version=9, source="revert", created_at_ms=1).serialize())
    assert baseline_hash(copy) == baseline_hash(a)
    before = baseline_hash(a)
    a.profile.fields["x"].numbers.get_quantiles([0.1, 0.5])  # reorders the sketch's buffer
    assert baseline_hash(a) == before
    assert baseline_hash(b) != baseline_hash(a)
    assert baseline_hash(replace(a, tolerances=Tolerances.from_dict({}))) == baseline_hash(a)
