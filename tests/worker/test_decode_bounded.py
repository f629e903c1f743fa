"""Records over the size limit are not decoded: they become DecodeErrors in their place."""

from __future__ import annotations

import orjson
from hypothesis import given
from hypothesis import strategies as st

from app.codecs import JsonCodec
from app.codecs.columns import Columns
from app.errors import DecodeError
from app.worker.profiler import decode_bounded


def test_oversized_records_fail_in_place() -> None:
    values = [orjson.dumps({"a": 1}), orjson.dumps({"a": "x" * 100}), b"{bad"]
    out = decode_bounded(JsonCodec(), values, limit=50)
    assert out[0] == {"a": 1}
    assert isinstance(out[1], DecodeError) and "50-byte limit" in str(out[1])
    assert isinstance(out[2], DecodeError) and "JSON" in str(out[2])


@given(st.lists(st.integers(0, 200), max_size=20), st.integers(1, 150))
def test_same_as_decode_many_under_the_limit(sizes: list[int], limit: int) -> None:
    values = [orjson.dumps({"s": "y" * n}) for n in sizes]
    out = decode_bounded(JsonCodec(), values, limit)
    if isinstance(out, Columns):  # all under the limit, all of one shape
        assert max(map(len, values)) <= limit
        out = out.rows()
    for value, got in zip(values, out, strict=True):
        if len(value) <= limit:
            assert got == orjson.loads(value)
        else:
            assert isinstance(got, DecodeError)
