"""FieldProfile and WindowProfile are values: merge is order-free, serialize round-trips."""

from __future__ import annotations

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import SketchError
from app.profile import ProfileBuilder, WindowProfile
from app.profile.field import FieldProfile
from app.schema import infer_schema

values = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.text(max_size=8),
    st.booleans(),
)
records = st.lists(
    st.dictionaries(st.sampled_from(["a", "b", "c"]), values, max_size=3), max_size=40
)


def _profile(batch: list[dict[str, object]], window: int = 0) -> WindowProfile:
    builder = ProfileBuilder()
    builder.add(batch)
    return builder.snapshot("feed", window, 0, 0)


def _facts(p: WindowProfile) -> dict[str, tuple[object, ...]]:
    return {
        name: (
            fp.count,
            fp.nulls,
            dict(fp.types),
            fp.numeric_count,
            round(fp.total, 3),
            sorted(fp.category_counts().items()),
            round(fp.distinct_estimate(), 6),
        )
        for name, fp in p.fields.items()
    }


@settings(max_examples=60, deadline=None)
@given(records, records)
def test_merge_equals_profile_of_union(
    left: list[dict[str, object]], right: list[dict[str, object]]
) -> None:
    merged = _profile(left).merge(_profile(right))
    assert merged.records == len(left) + len(right)
    assert _facts(merged) == _facts(_profile(left + right))


@settings(max_examples=60, deadline=None)
@given(records, records)
def test_merge_is_commutative(
    left: list[dict[str, object]], right: list[dict[str, object]]
) -> None:
    assert _facts(_profile(left).merge(_profile(right))) == _facts(
        _profile(right).merge(_profile(left))
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(records, min_size=1, max_size=6))
def test_merging_many_at_once_equals_the_profile_of_all(
    batches: list[list[dict[str, object]]],
) -> None:
    merged = WindowProfile.merged([_profile(b) for b in batches])
    assert merged.records == sum(map(len, batches))
    assert _facts(merged) == _facts(_profile([r for b in batches for r in b]))


def test_histograms_on_different_edges_merge_into_none() -> None:
    """Partials of a window that straddles a baseline switch: the rest still adds up."""
    a = FieldProfile(count=2, edges=(0.0, 1.0), hist=np.array([1, 1, 0]))
    b = FieldProfile(count=3, edges=(0.0, 2.0), hist=np.array([0, 3, 0]))
    c = FieldProfile(count=1, edges=(0.0, 1.0), hist=np.array([0, 0, 1]))
    mixed = FieldProfile.merged([a, b, c])
    assert (mixed.count, mixed.edges, mixed.hist) == (6, None, None)
    same = FieldProfile.merged([a, c])
    assert same.edges == (0.0, 1.0) and same.hist is not None
    assert same.hist.tolist() == [1, 1, 1]


def test_only_partials_of_one_window_merge() -> None:
    with pytest.raises(SketchError, match="cannot merge window feed/1 into feed/0"):
        WindowProfile.merged([_profile([{"a": 1}]), _profile([{"a": 2}], window=1)])
    with pytest.raises(SketchError, match="no partial"):
        WindowProfile.merged([])


@settings(max_examples=60, deadline=None)
@given(records)
def test_serialize_round_trip(batch: list[dict[str, object]]) -> None:
    profile = _profile(batch)
    again = WindowProfile.deserialize(profile.serialize())
    assert _facts(again) == _facts(profile)


def test_quantiles_and_histogram_survive_merge(rng: np.random.Generator) -> None:
    data = [{"x": float(v)} for v in rng.normal(size=4000)]
    schema = infer_schema(data)
    edges = {"x": (-1.0, 0.0, 1.0)}
    parts = []
    for i in range(4):
        b = ProfileBuilder(schema, edges)
        b.add(data[i * 1000 : (i + 1) * 1000])
        parts.append(b.snapshot("f", 0, 0, 0))
    merged = parts[0].merge(parts[1]).merge(parts[2]).merge(parts[3])
    fp = merged.fields["x"]
    xs = np.array([r["x"] for r in data])
    expected = np.bincount(np.searchsorted([-1.0, 0.0, 1.0], xs, side="left"), minlength=4)
    assert fp.hist is not None and fp.hist.tolist() == expected.tolist()
    assert abs(fp.numbers.get_quantile(0.5) - float(np.median(xs))) < 0.05
    assert abs(fp.mean - float(xs.mean())) < 1e-9


@pytest.mark.parametrize("part", ["numbers", "sample"])
def test_a_damaged_sketch_in_a_window_profile_is_a_sketch_error(part: str) -> None:
    rows = [{"a": float(np.sin(i)), "b": float(np.cos(i)), "c": str(i % 3)} for i in range(300)]
    builder = ProfileBuilder(infer_schema(rows))
    builder.add(rows)
    doc = orjson.loads(builder.snapshot("feed", 0, 0, 0).serialize())
    if part == "sample":
        doc["sample"]["rows"] = "not*base64!"
    else:
        doc["fields"]["a"]["numbers"] = "not*base64!"
    with pytest.raises(SketchError, match="malformed"):
        WindowProfile.deserialize(orjson.dumps(doc))
