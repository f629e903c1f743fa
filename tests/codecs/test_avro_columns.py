"""The columnar Avro path: the records it gives are the records fastavro gives one by one,
and it gives nothing (the caller decodes one by one) for any batch with a misfit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.codecs import AvroCodec
from app.codecs.avro import read_avro
from app.codecs.avro_columns import flat_fields, varint_sizes, zigzag
from app.errors import DecodeError
from app.profile.builder import ProfileBuilder
from tests.codecs.test_codecs import SCHEMA, rows
from tests.codecs.test_fuzz import _mutate, mutations

WIDE = {
    "type": "record",
    "name": "Wide",
    "fields": [
        {"name": "i", "type": "int"},
        {"name": "f", "type": "float"},
        {"name": "y", "type": ["bytes", "null"]},
        {"name": "t", "type": ["null", "string"]},
        {"name": "d", "type": ["null", "double"]},
    ],
}
WIDE_VALUES = {
    "i": st.integers(-(2**31), 2**31 - 1),
    "y": st.one_of(st.none(), st.binary(max_size=200)),
    "t": st.one_of(st.none(), st.text(max_size=70)),
}
wide_rows = st.fixed_dictionaries(
    {
        **WIDE_VALUES,
        "f": st.floats(width=32, allow_nan=False),
        "d": st.one_of(st.none(), st.floats()),
    }
)


@pytest.mark.parametrize(("schema", "records"), [(SCHEMA, rows), (WIDE, wide_rows)])
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_columns_are_the_records_fastavro_reads(
    schema: dict[str, Any], records: st.SearchStrategy[dict[str, Any]], data: st.DataObject
) -> None:
    codec = AvroCodec(schema)
    values = [codec.encode(r) for r in data.draw(st.lists(records, min_size=1, max_size=40))]
    columns = codec.decode_columns(values)
    assert columns is not None
    assert repr(columns.rows()) == repr([read_avro(v, codec.schema) for v in values])  # NaN


@settings(max_examples=300, deadline=None)
@given(batch=st.lists(st.tuples(rows, st.one_of(st.just([]), mutations)), min_size=1, max_size=8))
def test_a_batch_with_any_misfit_is_left_to_the_one_by_one_path(
    batch: list[tuple[dict[str, Any], Any]],
) -> None:
    codec = AvroCodec(SCHEMA)
    values = [_mutate(codec.encode(record), steps) for record, steps in batch]
    columns = codec.decode_columns(values)
    if columns is None:
        return
    alone = []
    for v in values:  # every record must decode alone, to what the columns hold
        try:
            alone.append(read_avro(v, codec.schema))
        except DecodeError:
            pytest.fail(f"the columnar path accepted a bad record: {v!r}")
    assert repr(columns.rows()) == repr(alone)


def test_trailing_or_missing_bytes_anywhere_give_no_columns() -> None:
    codec = AvroCodec(SCHEMA)
    good = codec.encode({"x": 1.0, "n": 5, "s": "hello", "b": True})
    assert codec.decode_columns([good, good]) is not None
    for batch in ([good + b"\x00"], [good + b"\x02", good], [good, good[:-1], good], []):
        assert codec.decode_columns(batch) is None
    padded = good[:9] + b"\x8a\x00" + good[10:]  # 5 as a two-byte (non-canonical) varint
    assert read_avro(padded, codec.schema)["n"] == 5
    assert codec.decode_columns([padded]) is None  # left to fastavro, which reads it


def test_only_flat_records_of_primitives_take_the_columnar_path() -> None:
    assert flat_fields(AvroCodec(WIDE).schema) is not None
    nested = {"type": "record", "name": "N", "fields": [{"name": "a", "type": SCHEMA}]}
    logical = {
        "type": "record",
        "name": "L",
        "fields": [{"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}}],
    }
    union = {"type": "record", "name": "U", "fields": [{"name": "u", "type": ["int", "string"]}]}
    for schema in (nested, logical, union):
        codec = AvroCodec(schema)
        assert flat_fields(codec.schema) is None
        assert codec.decode_columns([b"\x00"]) is None


def test_varint_sizes() -> None:
    values = np.asarray([0, -1, 1, -64, 63, 64, -65, 2**31 - 1, -(2**63), 2**63 - 1])
    expected = []
    for v in values.tolist():
        z, n = (v << 1) ^ (v >> 63), 1
        z &= 2**64 - 1
        while z > 0x7F:
            z >>= 7
            n += 1
        expected.append(n)
    assert varint_sizes(zigzag(values)).tolist() == expected


bounded_rows = st.fixed_dictionaries(
    {
        **WIDE_VALUES,
        "f": st.floats(-(2.0**100), 2.0**100, width=32),
        "d": st.one_of(st.none(), st.floats(-1e100, 1e100), st.just(float("nan"))),
    }
)


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(bounded_rows, min_size=1, max_size=60))
def test_a_profile_of_columns_is_the_profile_of_their_records(batch: list[dict[str, Any]]) -> None:
    codec = AvroCodec(WIDE)
    columns = codec.decode_columns([codec.encode(r) for r in batch])
    assert columns is not None
    by_columns, by_records = ProfileBuilder(), ProfileBuilder()
    numeric_c = by_columns.add(columns)
    numeric_r = by_records.add(columns.rows())
    assert numeric_c.keys() == numeric_r.keys()
    for name in numeric_c:
        np.testing.assert_array_equal(numeric_c[name], numeric_r[name])
    a, b = by_columns.snapshot("f", 0, 0, 0), by_records.snapshot("f", 0, 0, 0)
    assert a.records == b.records == len(batch)
    assert {n: f.to_dict() for n, f in a.fields.items()} == {
        n: f.to_dict() for n, f in b.fields.items()
    }
