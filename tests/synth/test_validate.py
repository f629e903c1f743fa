"""Category checks: a pool (a set per value) and a whole column (pandas) agree with Python."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from app.schema.model import FieldSpec
from app.synth.columns import Column
from app.synth.validate import SET_LOOKUP_MAX, Constraint, validate

LABELS = st.sampled_from(["a", "b", "c", "dd", "eee", "zz"])


def _rule(members: list[str]) -> Constraint:
    spec = FieldSpec("c", "string", "categorical", min_length=1, max_length=3)
    return Constraint(spec, categories=frozenset(members), members=tuple(members))


@given(
    members=st.lists(LABELS, min_size=1, max_size=4, unique=True),
    values=st.lists(LABELS, min_size=1, max_size=40),
    rows=st.sampled_from([1, SET_LOOKUP_MAX + 7]),
)
def test_membership_agrees_with_python_for_pools_and_columns(
    members: list[str], values: list[str], rows: int
) -> None:
    column = np.array((values * rows)[: max(rows, len(values))], dtype=object)
    nulls = np.zeros(len(column), dtype=bool)
    _, keep, report = validate({"c": Column(column, nulls)}, {"c": _rule(members)})
    expected = np.array([v in members for v in column.tolist()])
    assert keep.tolist() == expected.tolist()
    assert report.rejected["c"] == int((~expected).sum())


def test_a_pool_with_codes_is_checked_once_per_category() -> None:
    pool = np.array(["a", "zz", "eee"], dtype=object)
    codes = np.array([0, 1, 2, 0, 1], dtype=np.int64)
    col = Column(pool[codes], np.zeros(5, dtype=bool), codes, pool)
    _, keep, _ = validate({"c": col}, {"c": _rule(["a", "zz", "eee"])})
    assert keep.tolist() == [True] * 5  # "eee" fits the lengths 1..3
    _, keep, _ = validate({"c": col}, {"c": _rule(["a", "eee"])})
    assert keep.tolist() == [True, False, True, True, False]
