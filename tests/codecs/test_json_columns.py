"""The columnar JSON path: a batch whose records all have the first one's fields gives
columns of exactly the values decoding each record alone gives; any other batch gives
nothing (the caller decodes record by record), and the next few are not tried."""

from __future__ import annotations

import pickle
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.codecs import JsonCodec
from app.codecs.json import SKIP_AFTER_MISFIT
from app.errors import DecodeError
from app.profile.builder import ProfileBuilder
from tests.codecs.test_codecs import json_values
from tests.codecs.test_fuzz import _mutate, mutations

UNMATCHABLE = '"\\' + "".join(map(chr, range(0x20)))  # in a field name: the record path
names = st.lists(
    st.text(
        st.characters(blacklist_categories=["Cs"], blacklist_characters=UNMATCHABLE), max_size=8
    ),
    min_size=1,
    max_size=8,
    unique=True,
)


@st.composite
def same_fields(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Records of one set of fields, each with its fields in an order of its own."""
    fields = draw(names)
    batch = []
    for _ in range(draw(st.integers(1, 12))):
        order = draw(st.permutations(fields))
        batch.append({name: draw(json_values) for name in order})
    return batch


@settings(max_examples=150, deadline=None)
@given(batch=same_fields())
def test_columns_hold_what_each_record_decodes_to(batch: list[dict[str, Any]]) -> None:
    codec = JsonCodec()
    values = [orjson.dumps(r) for r in batch]
    columns = codec.decode_columns(values)
    assert columns is not None and len(columns) == len(batch)
    assert list(columns.arrays) == list(batch[0])
    assert columns.rows() == [codec.decode(v) for v in values] == batch


@settings(max_examples=200, deadline=None)
@given(batch=same_fields(), steps=st.lists(st.one_of(st.just([]), mutations), max_size=12))
def test_a_mutated_batch_gives_columns_only_if_every_record_fits(
    batch: list[dict[str, Any]], steps: list[Any]
) -> None:
    values = [orjson.dumps(r) for r in batch]
    steps = (steps + [[]] * len(values))[: len(values)]
    values = [_mutate(v, s) if s else v for v, s in zip(values, steps, strict=True)]
    alone: list[Any] = []
    for value in values:
        try:
            alone.append(JsonCodec().decode(value))
        except DecodeError as exc:
            alone.append(exc)
    columns = JsonCodec().decode_columns(values)
    fits = all(isinstance(r, dict) and r and r.keys() == alone[0].keys() for r in alone) and not (
        set("".join(alone[0])) & set(UNMATCHABLE)
    )
    assert (columns is not None) == fits
    if columns is not None:
        assert columns.rows() == alone


@pytest.mark.parametrize(
    "misfit",
    [
        {"a": 1},  # a field missing
        {"a": 1, "b": 2, "c": 3},  # a field added
        {"a": 1, "c": 2},  # another field
        b"{bad",
        b"[1, 2]",
    ],
)
def test_a_misfit_leaves_the_batch_and_the_next_ones_to_decode_many(
    misfit: dict[str, Any] | bytes,
) -> None:
    codec = JsonCodec()
    good = [orjson.dumps({"a": i, "b": str(i)}) for i in range(5)]
    bad = misfit if isinstance(misfit, bytes) else orjson.dumps(misfit)
    assert codec.decode_columns([*good, bad, *good]) is None
    for _ in range(SKIP_AFTER_MISFIT):
        assert codec.decode_columns(good) is None
    columns = codec.decode_columns(good)
    assert columns is not None and columns.arrays == {"a": list(range(5)), "b": list("01234")}


@pytest.mark.parametrize("first", [b"{}", b"[]", b"null", b"{bad"])
def test_no_columns_when_the_first_record_is_no_object_with_fields(first: bytes) -> None:
    assert JsonCodec().decode_columns([first, b'{"a": 1}']) is None


def test_field_names_are_any_strings() -> None:
    record = {"f1": 1, "f0": 2.5, "a b": "x", "class": None, "": True, "ü": [1, {"q": 2}]}
    codec = JsonCodec()
    columns = codec.decode_columns([orjson.dumps(record)] * 3)
    assert columns is not None
    assert {name: column[0] for name, column in columns.arrays.items()} == record


def test_shapes_alternate_without_growing() -> None:
    codec = JsonCodec()
    for i in range(40):
        columns = codec.decode_columns([orjson.dumps({f"k{i}": i})])
        assert columns is not None and columns.arrays == {f"k{i}": [i]}


def test_numbers_keep_their_json_type() -> None:
    """An int literal stays an int, a float a float, a big int an int (also one by one)."""
    values = [b'{"x": 1, "y": 1.0, "z": 123456789012345678901234567890}'] * 2
    codec = JsonCodec()
    columns = codec.decode_columns(values)
    assert columns is not None
    assert [type(c[0]) for c in columns.arrays.values()] == [int, float, int]
    assert columns.rows() == [codec.decode(v) for v in values]


@settings(max_examples=80, deadline=None)
@given(batch=same_fields())
def test_a_profile_of_columns_is_the_profile_of_their_records(batch: list[dict[str, Any]]) -> None:
    columns = JsonCodec().decode_columns([orjson.dumps(r) for r in batch])
    assert columns is not None
    by_columns, by_records = ProfileBuilder(), ProfileBuilder()
    numeric_c, numeric_r = by_columns.add(columns), by_records.add(batch)
    assert numeric_c.keys() == numeric_r.keys()
    for name in numeric_c:
        assert numeric_c[name].tolist() == numeric_r[name].tolist()
    a, b = by_columns.snapshot("f", 0, 0, 0), by_records.snapshot("f", 0, 0, 0)
    assert {n: f.to_dict() for n, f in a.fields.items()} == {
        n: f.to_dict() for n, f in b.fields.items()
    }


@pytest.mark.parametrize("name", ['say "hi"', "back\\slash", "tab\there"])
def test_names_msgspec_cannot_match_take_the_record_path(name: str) -> None:
    codec = JsonCodec()
    assert codec.decode_columns([orjson.dumps({name: 1})]) is None
    assert codec.decode_many([orjson.dumps({name: 1})]) == [{name: 1}]


def test_a_codec_that_has_decoded_goes_to_another_process() -> None:
    codec = JsonCodec()
    assert codec.decode_columns([b'{"a": 1}']) is not None
    copy = pickle.loads(pickle.dumps(codec))
    columns = copy.decode_columns([b'{"a": 2}'])
    assert columns is not None and columns.arrays == {"a": [2]}


def test_a_record_nested_too_deep_is_a_decode_error_on_every_path() -> None:
    deep = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    good = b'{"a": 1}'
    codec = JsonCodec()
    with pytest.raises(DecodeError, match="JSON"):
        codec.decode(deep)
    assert codec.decode_columns([good, deep]) is None
    first, second = codec.decode_many([good, deep])
    assert first == {"a": 1} and isinstance(second, DecodeError)
