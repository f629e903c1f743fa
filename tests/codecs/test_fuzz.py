"""Fuzz: valid records mutated byte by byte (truncated, flipped, spliced) decode to a mapping
or raise DecodeError, through the batch path too -- never another exception."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

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
