"""A verdict survives the trip through Kafka headers; a malformed one is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import DecodeError
from app.inject.verdict import Verdict


@given(
    st.text(min_size=1, max_size=20),
    st.integers(0, 2**40),
    st.integers(1, 10_000),
    st.floats(0, 10),
    st.floats(0, 1),
    st.text(max_size=36),
    st.sampled_from(["", "low", "medium", "high"]),
    st.binary(max_size=64),
    st.binary(max_size=64),
    st.text(max_size=40),
    st.integers(0, 10**9),
)
def test_round_trip(
    feed: str,
    wid: int,
    version: int,
    rate: float,
    alpha: float,
    event: str,
    sev: str,
    target: bytes,
    previous: bytes,
    topic: str,
    records: int,
) -> None:
    verdict = Verdict(feed, wid, version, rate, alpha, event, sev, target, previous, topic, records)
    assert Verdict.from_message(verdict.headers(), verdict.value()) == verdict


def test_missing_fields_are_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="malformed verdict"):
        Verdict.from_message([("driftmend-verdict-feed", b"x")], b"")
    with pytest.raises(DecodeError, match="malformed verdict value"):
        Verdict.from_message(Verdict("f", 1, 1).headers(), b"\x00\x00\x01\x00abc")
    with pytest.raises(DecodeError, match="malformed verdict value"):
        Verdict.from_message(Verdict("f", 1, 1).headers(), b"\x00\x00\x01\x00abc")
