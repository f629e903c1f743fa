"""Controlled drift: per-field distance to the target mixture <= 0.05, monotone in alpha."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ModelError
from app.synth.drift import RANKS, mixture_quantiles, plan_drift, profile_records
from app.synth.synthesizer import Synthesizer
from app.synth.text import shape_of
from app.synth.transform import category_key, epoch_seconds
from tests.synth.conftest import base_records

ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)
NUMERIC = ("x", "amount", "at", "score")
CATEGORICAL = ("category", "tier", "flag")
NULL_SHARES = ("score", "tier")  # nullable fields: the share of nulls moves too


def target_records(n: int = 6_000) -> list[dict[str, Any]]:
    """The feed a month later: every field moved. x shifted, amounts up, scores up with more
    nulls, categories and null shares moved, most IDs three digits longer."""
    rng = np.random.default_rng(99)
    rows = base_records(n, seed=5)
    for row in rows:
        row["score"] = None if rng.random() < 0.25 else int(rng.integers(40, 140))
        if rng.random() < 0.6:
            row["id"] = f"ID-{rng.integers(0, 10**12):012d}"
        row["x"] = row["x"] * 1.5 + 1.0
        row["amount"] = row["amount"] * 1.3
        row["category"] = str(rng.choice(["a", "b", "c", "d", "e"], p=[0.1, 0.1, 0.2, 0.3, 0.3]))
        row["tier"] = None if rng.random() < 0.3 else row["tier"]
        row["flag"] = bool(rng.random() < 0.7)
        later = np.datetime64(row["at"][:-1]) + np.timedelta64(20, "D")
        row["at"] = f"{later}Z"
    return rows


def _numbers(rows: list[dict[str, Any]], name: str) -> np.ndarray:
    values = [r[name] for r in rows if r.get(name) is not None]
    if name == "at":
        return epoch_seconds(values)
    return np.asarray(values, dtype=np.float64)


def ks_to_mixture(sample: np.ndarray, base: np.ndarray, target: np.ndarray, alpha: float) -> float:
    grid = np.unique(np.concatenate([sample, base, target]))

    def ecdf(a: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.sort(a), grid, side="right") / len(a)

    mix = (1 - alpha) * ecdf(base) + alpha * ecdf(target)
    return float(np.abs(ecdf(sample) - mix).max())


def shares(rows: list[dict[str, Any]], name: str) -> dict[str, float]:
    labels = [None if r.get(name) is None else category_key(r[name]) for r in rows]
    keys = set(labels)
    return {str(k): labels.count(k) / len(labels) for k in keys}


def tv_to_mixture(
    sample: dict[str, float], base: dict[str, float], target: dict[str, float], alpha: float
) -> float:
    keys = sample.keys() | base.keys() | target.keys()
    mix = {k: (1 - alpha) * base.get(k, 0) + alpha * target.get(k, 0) for k in keys}
    return 0.5 * sum(abs(sample.get(k, 0) - mix[k]) for k in keys)


@pytest.fixture(scope="module")
def drifted(synth: Synthesizer) -> dict[float, list[dict[str, Any]]]:
    target = profile_records(synth.schema, target_records())
    return {a: synth.sample(20_000, alpha=a, target=target, seed=4) for a in ALPHAS}


@pytest.mark.parametrize("name", NUMERIC)
def test_numeric_marginals_follow_the_mixture(
    drifted: dict[float, list[dict[str, Any]]], records: list[dict[str, Any]], name: str
) -> None:
    base, target = _numbers(records, name), _numbers(target_records(), name)
    to_target = []
    for alpha, rows in drifted.items():
        sample = _numbers(rows, name)
        assert ks_to_mixture(sample, base, target, alpha) <= 0.05, (name, alpha)
        to_target.append(ks_to_mixture(sample, base, target, 1.0))
    assert to_target == sorted(to_target, reverse=True), to_target  # monotone toward target


@pytest.mark.parametrize("name", CATEGORICAL)
def test_category_and_null_shares_follow_the_mixture(
    drifted: dict[float, list[dict[str, Any]]], records: list[dict[str, Any]], name: str
) -> None:
    base, target = shares(records, name), shares(target_records(), name)
    to_target = []
    for alpha, rows in drifted.items():
        sample = shares(rows, name)
        assert tv_to_mixture(sample, base, target, alpha) <= 0.05, (name, alpha, sample)
        to_target.append(tv_to_mixture(sample, base, target, 1.0))
    assert to_target == sorted(to_target, reverse=True), to_target
    if name == "category":  # "e" never occurs in the baseline, yet appears as drift grows
        assert "e" not in shares(drifted[0.0], name) and shares(drifted[1.0], name)["e"] > 0.25


def null_share(rows: list[dict[str, Any]], name: str) -> dict[str, float]:
    nulls = sum(r.get(name) is None for r in rows) / len(rows)
    return {"null": nulls, "value": 1 - nulls}


@pytest.mark.parametrize("name", NULL_SHARES)
def test_null_shares_follow_the_mixture(
    drifted: dict[float, list[dict[str, Any]]], records: list[dict[str, Any]], name: str
) -> None:
    base, target = null_share(records, name), null_share(target_records(), name)
    for alpha, rows in drifted.items():
        assert tv_to_mixture(null_share(rows, name), base, target, alpha) <= 0.05, (name, alpha)


def lengths(rows: list[dict[str, Any]], name: str) -> dict[str, float]:
    counts = Counter(len(r[name]) for r in rows if r.get(name) is not None)
    total = sum(counts.values())
    return {str(k): v / total for k, v in counts.items()}


def test_text_lengths_follow_the_mixture_and_keep_their_shapes(
    drifted: dict[float, list[dict[str, Any]]], records: list[dict[str, Any]]
) -> None:
    base, target = lengths(records, "id"), lengths(target_records(), "id")
    to_target = []
    for alpha, rows in drifted.items():
        sample = lengths(rows, "id")
        assert tv_to_mixture(sample, base, target, alpha) <= 0.05, (alpha, sample)
        to_target.append(tv_to_mixture(sample, base, target, 1.0))
        shapes = {shape_of(r["id"]) for r in rows}
        assert shapes <= {"AA-999999999", "AA-999999999999"}, shapes  # new digits, same form
    assert to_target == sorted(to_target, reverse=True), to_target
    seen = {r["id"] for r in records} | {r["id"] for r in target_records()}
    ids = [r["id"] for r in drifted[1.0]]
    assert sum(i in seen for i in ids) <= 0.001 * len(ids)  # new values (chance repeats only)


def _rank_corr(rows: list[dict[str, Any]]) -> float:
    x, amount = _numbers(rows, "x"), _numbers(rows, "amount")
    rank_x, rank_a = np.argsort(np.argsort(x)), np.argsort(np.argsort(amount))
    return float(np.corrcoef(rank_x, rank_a)[0, 1])


def test_drift_keeps_the_joint_rank_structure(
    drifted: dict[float, list[dict[str, Any]]], records: list[dict[str, Any]]
) -> None:
    real = _rank_corr(records)
    assert real > 0.3  # the data has a correlation to keep
    for rows in drifted.values():
        assert abs(_rank_corr(rows) - real) < 0.1


@settings(max_examples=50, deadline=None)
@given(
    a=st.lists(st.integers(0, 20), min_size=5, max_size=300),
    b=st.lists(st.floats(-5, 30, allow_nan=False), min_size=5, max_size=300),
    alpha=st.floats(0, 1),
)
def test_mixture_quantiles_invert_the_mixture_cdf(
    a: list[int], b: list[float], alpha: float
) -> None:
    qa, qb = np.quantile(a, RANKS), np.quantile(b, RANKS)
    qm = mixture_quantiles(qa, qb, alpha)
    assert np.all(np.diff(qm) >= -1e-9)
    u = np.random.default_rng(0).random(4000)
    draws = np.interp(u, RANKS, qm)
    # the mixture's draws against sampling each component in proportion
    pick = np.random.default_rng(1).random(4000) < alpha
    reference = np.where(pick, np.interp(u, RANKS, qb), np.interp(u, RANKS, qa))
    grid = np.unique(np.concatenate([draws, reference]))
    cdf = lambda s: np.searchsorted(np.sort(s), grid, side="right") / len(s)  # noqa: E731
    assert np.abs(cdf(draws) - cdf(reference)).max() < 0.06


def test_alpha_out_of_range_or_without_target_is_refused(synth: Synthesizer) -> None:
    with pytest.raises(ModelError, match="within"):
        plan_drift(synth.codecs, 1.5, None)
    with pytest.raises(ModelError, match="target"):
        synth.sample(10, alpha=0.5)
