"""Fuzz: valid records mutated byte by byte (truncated, flipped, spliced) decode to a mapping
or raise DecodeError, through the batch path too -- never another exception."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.codecs import AvroCodec, ConfluentAvroCodec, JsonCodec, LocalSchemaRegistry
from app.codecs.base import Codec
from app.errors import DecodeError
from tests.codecs.test_codecs import SCHEMA, rows

mutations = st.lists(
    st.tuples(st.sampled_from(["cut", "flip", "insert", "drop"]), st.integers(0, 10**6)),
    min_size=1,
    max_size=4,
)


def _mutate(data: bytes, steps: list[tuple[str, int]]) -> bytes:
    out = bytearray(data)
    for kind, n in steps:
        i = n % (len(out) + 1)
        if kind == "cut":
            del out[i:]
        elif kind == "flip" and i < len(out):
            out[i] ^= 1 << (n % 8)
        elif kind == "insert":
            out[i:i] = bytes([n % 256])
        elif kind == "drop" and i < len(out):
            del out[i]
    return bytes(out)


def _codecs(folder: Path) -> list[Codec]:
    (folder / "1.avsc").write_text(json.dumps(SCHEMA))
    registry = LocalSchemaRegistry(folder)
    return [JsonCodec(), AvroCodec(SCHEMA), ConfluentAvroCodec(registry, write_schema_id=1)]


@settings(max_examples=400, deadline=None)
@given(record=rows, steps=mutations)
def test_mutated_records_decode_or_fail_cleanly(
    tmp_path_factory: pytest.TempPathFactory,
    record: dict[str, object],
    steps: list[tuple[str, int]],
) -> None:
    for codec in _codecs(tmp_path_factory.mktemp("registry")):
        data = _mutate(codec.encode(record), steps)
        with contextlib.suppress(DecodeError):
            assert isinstance(codec.decode(data), dict)
        (one,) = codec.decode_many([data])
        assert isinstance(one, (dict, DecodeError))


@settings(max_examples=200, deadline=None)
@given(batch=st.lists(st.tuples(rows, st.one_of(st.just([]), mutations)), max_size=8))
def test_a_batch_decodes_like_its_records_one_by_one(
    tmp_path_factory: pytest.TempPathFactory, batch: list[tuple[dict[str, object], Any]]
) -> None:
    """The batch paths (Avro reads a batch back to back from one buffer) give each value
    what decoding it alone gives: the same record, or an error."""
    for codec in _codecs(tmp_path_factory.mktemp("registry")):
        values = [_mutate(codec.encode(record), steps) for record, steps in batch]
        alone: list[str] = []  # reprs: a NaN field equals itself there
        for data in values:
            try:
                alone.append(repr(codec.decode(data)))
            except DecodeError:
                alone.append("error")
        together = codec.decode_many(values)
        assert ["error" if isinstance(v, DecodeError) else repr(v) for v in together] == alone


def test_a_record_with_trailing_bytes_fails_alone_and_in_a_batch(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    for codec in _codecs(tmp_path_factory.mktemp("registry")):
        if isinstance(codec, JsonCodec):
            continue
        good = codec.encode({"x": 1.0, "n": 5, "s": "hello", "b": True})
        for batch in ([good + b"\x00"], [good + b"\x02", good], [good, good[:-1], good]):
            got = codec.decode_many(batch)
            assert [isinstance(v, DecodeError) for v in got] == [v != good for v in batch]
