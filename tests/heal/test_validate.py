"""The champion/challenger fit test (paired bootstrap of held-out distances)."""

from __future__ import annotations

import numpy as np

from app.baseline import build_baseline
from app.heal.validate import distances, fit_test
from tests.conftest import make_records


def test_a_challenger_of_the_new_data_fits_significantly_better(
    rng: np.random.Generator,
) -> None:
    champion = build_baseline("f", make_records(rng, 5_000), "A")
    challenger = build_baseline("f", make_records(rng, 5_000, shift=1.0), "B")
    fit = fit_test(champion, challenger, make_records(rng, 1_000, shift=1.0), seed=1)
    assert fit.better
    assert fit.challenger < fit.champion and fit.diff_p05 > 0
    assert set(fit.metrics()) == {"champion_distance", "challenger_distance", "distance_gain_p05"}


def test_no_gain_without_a_change(rng: np.random.Generator) -> None:
    champion = build_baseline("f", make_records(rng, 5_000), "A")
    challenger = build_baseline("f", make_records(rng, 5_000), "A again")
    assert not fit_test(champion, challenger, make_records(rng, 1_000), seed=1).better
    worse = build_baseline("f", make_records(rng, 5_000, shift=1.0), "B")
    fit = fit_test(champion, worse, make_records(rng, 1_000), seed=1)
    assert not fit.better and fit.challenger > fit.champion


def test_seeded_and_empty(rng: np.random.Generator) -> None:
    a = build_baseline("f", make_records(rng, 2_000), "A")
    b = build_baseline("f", make_records(rng, 2_000, shift=0.2), "B")
    hold = make_records(rng, 500, shift=0.1)
    assert fit_test(a, b, hold, seed=3) == fit_test(a, b, hold, seed=3)
    assert not fit_test(a, b, [], seed=3).better


def test_booleans_are_matched_to_the_profiles_labels(
    rng: np.random.Generator,
) -> None:
    """Profiles count booleans as 'true'/'false' (not 'True'): held-out records drawn like
    the baseline are at distance ~0 from it, not counted as unseen categories."""
    rows = [
        {"flag": bool(f), "level": int(lvl)}
        for f, lvl in zip(rng.random(4_000) < 0.3, rng.integers(1, 4, 4_000), strict=True)
    ]
    base = build_baseline("f", rows[:3_000], "A")
    assert {s.name: s.kind for s in base.schema.fields}["flag"] == "categorical"
    d = distances(base, rows[3_000:], np.arange(1_000)[None, :])
    assert d[0] < 0.05
