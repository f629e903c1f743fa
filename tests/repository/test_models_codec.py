"""Training samples pack to compressed JSON lines and back; the bounded sample is seeded."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import ArtifactError
from app.repository.models import pack_records, unpack_records
from app.synth.columns import bounded_sample

json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
rows = st.lists(
    st.dictionaries(st.text(min_size=1, max_size=5), json_values, max_size=5), max_size=30
)


@given(records=rows)
def test_pack_round_trip(records: list[dict[str, Any]]) -> None:
    assert unpack_records(pack_records(records)) == records


def test_garbage_is_refused() -> None:
    with pytest.raises(ArtifactError):
        unpack_records(b"not zstd")


def test_bounded_sample_is_seeded_ordered_and_bounded() -> None:
    records = [{"i": i} for i in range(1000)]
    a, b = bounded_sample(records, 100, seed=1), bounded_sample(records, 100, seed=1)
    assert a == b and len(a) == 100
    assert [r["i"] for r in a] == sorted(r["i"] for r in a)
    assert bounded_sample(records, 100, seed=2) != a
    assert bounded_sample(records[:50], 100) == records[:50]
