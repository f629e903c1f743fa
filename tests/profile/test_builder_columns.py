"""Records split into columns: each field's values, in record order where the builder says so."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.profile.builder import _columns

KEYS = ["a", "b", "c", "d"]
values = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4))


def _record(keys: list[str], vals: list[Any]) -> dict[str, Any]:
    return dict(zip(keys, vals, strict=False))


keysets = st.lists(st.sampled_from(KEYS), unique=True)
records = st.lists(
    st.tuples(keysets, st.lists(values, min_size=len(KEYS), max_size=len(KEYS))).map(
        lambda kv: _record(*kv)
    ),
    max_size=30,
)
same_keys = st.lists(
    st.tuples(st.permutations(KEYS), st.lists(values, min_size=4, max_size=4)).map(
        lambda kv: _record(list(kv[0]), kv[1])
    ),
    min_size=1,
    max_size=30,
)


def _expected(batch: list[dict[str, Any]], name: str) -> list[Any]:
    return [r[name] for r in batch if name in r]


@settings(max_examples=150, deadline=None)
@given(records)
def test_every_value_lands_in_its_column(batch: list[dict[str, Any]]) -> None:
    columns, in_order = _columns(batch)
    assert set(columns) == {name for r in batch for name in r}
    for name, column in columns.items():
        expected = _expected(batch, name)
        if in_order:
            assert column == expected
        else:
            assert sorted(map(repr, column)) == sorted(map(repr, expected))


@settings(max_examples=100, deadline=None)
@given(same_keys)
def test_records_with_one_key_set_in_any_order_keep_record_order(
    batch: list[dict[str, Any]],
) -> None:
    columns, in_order = _columns(batch)
    assert in_order
    assert columns == {name: _expected(batch, name) for name in batch[0]}


def test_as_many_keys_but_other_ones_fall_back_to_shapes() -> None:
    batch = [{"a": 1, "b": 2}, {"a": 3, "c": 4}, {"b": 5, "a": 6}]
    columns, in_order = _columns(batch)
    assert not in_order
    assert sorted(columns["a"]) == [1, 3, 6]
    assert sorted(columns["b"]) == [2, 5]
    assert columns["c"] == [4]
