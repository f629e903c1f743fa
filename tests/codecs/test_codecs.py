"""Codecs round-trip and reject bad bytes with DecodeError (never anything else)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.codecs import (
    AvroCodec,
    ConfluentAvroCodec,
    FramedRecord,
    JsonCodec,
    LocalSchemaRegistry,
)
from app.errors import DecodeError

SCHEMA = {
    "type": "record",
    "name": "Row",
    "fields": [
        {"name": "x", "type": "double"},
        {"name": "n", "type": ["null", "long"], "default": None},
        {"name": "s", "type": "string"},
        {"name": "b", "type": "boolean"},
    ],
}
rows = st.fixed_dictionaries(
    {
        "x": st.floats(allow_nan=False),
        "n": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
        "s": st.text(max_size=30),
        "b": st.booleans(),
    }
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_json_round_trip(record: dict[str, object]) -> None:
    codec = JsonCodec()
    assert codec.decode(codec.encode(record)) == record


@given(rows)
def test_avro_round_trip(record: dict[str, object]) -> None:
    codec = AvroCodec(SCHEMA)
    assert codec.decode(codec.encode(record)) == record


@given(rows)
def test_confluent_round_trip(
    tmp_path_factory: pytest.TempPathFactory, record: dict[str, object]
) -> None:
    folder = tmp_path_factory.mktemp("registry")
    (folder / "7.avsc").write_text(json.dumps(SCHEMA))
    codec = ConfluentAvroCodec(LocalSchemaRegistry(folder), write_schema_id=7)
    data = codec.encode(record)
    assert data[0] == 0 and int.from_bytes(data[1:5], "big") == 7
    assert codec.decode(data) == record


@settings(max_examples=300)
@given(st.binary(max_size=64))
def test_decoders_reject_garbage_cleanly(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    folder = tmp_path_factory.mktemp("registry")
    (folder / "1.avsc").write_text(json.dumps(SCHEMA))
    for codec in (JsonCodec(), AvroCodec(SCHEMA), ConfluentAvroCodec(LocalSchemaRegistry(folder))):
        try:
            out = codec.decode(data)
        except DecodeError:
            continue
        assert isinstance(out, dict)


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b"42", b"\xff\xfe", b""])
def test_json_errors_say_why(data: bytes) -> None:
    with pytest.raises(DecodeError, match="JSON"):
        JsonCodec().decode(data)


def test_confluent_unknown_schema_id(tmp_path: Path) -> None:
    codec = ConfluentAvroCodec(LocalSchemaRegistry(tmp_path))
    with pytest.raises(DecodeError, match="unknown schema id 99"):
        codec.decode(b"\x00\x00\x00\x00\x63rest")


def test_truncated_avro(tmp_path: Path) -> None:
    data = AvroCodec(SCHEMA).encode({"x": 1.0, "n": 5, "s": "hello", "b": True})
    with pytest.raises(DecodeError):
        AvroCodec(SCHEMA).decode(data[:-3])


def test_confluent_records_carry_their_schema_id(tmp_path: Path) -> None:
    text = json.dumps(SCHEMA)
    (tmp_path / "7.avsc").write_text(text)
    codec = ConfluentAvroCodec(LocalSchemaRegistry(tmp_path), write_schema_id=7)
    record = {"x": 1.5, "n": None, "s": "a", "b": False}
    decoded = codec.decode(codec.encode(record))
    assert isinstance(decoded, FramedRecord)
    assert (decoded.schema_id, decoded.writer_schema) == (7, text)
    assert decoded == record
