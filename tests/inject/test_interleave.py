"""Synthetic records are spread evenly and in proportion to each partition's records."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.inject.interleave import SYNTHETIC, pattern, shares


def test_pattern_spaces_synthetic_records_evenly() -> None:
    assert pattern(6, 2) == [0, 1, SYNTHETIC, 2, 3, SYNTHETIC, 4, 5]
    assert pattern(0, 2) == [SYNTHETIC, SYNTHETIC]
    assert pattern(3, 0) == [0, 1, 2]


@given(st.integers(0, 500), st.integers(0, 500))
def test_pattern_keeps_every_real_record_in_order(real: int, synthetic: int) -> None:
    order = pattern(real, synthetic)
    assert [i for i in order if i != SYNTHETIC] == list(range(real))
    assert order.count(SYNTHETIC) == synthetic


@given(
    st.integers(0, 10_000), st.dictionaries(st.integers(0, 11), st.integers(0, 5_000), min_size=1)
)
def test_shares_add_up_and_follow_sizes(total: int, sizes: dict[int, int]) -> None:
    got = shares(total, sizes)
    n = sum(sizes.values())
    assert sum(got.values()) == (total if n else 0)
    for p, s in sizes.items():
        assert abs(got[p] - (total * s / n if n else 0)) < 1.0
