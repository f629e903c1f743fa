"""Window profiles count writer schema ids of Confluent-framed records, mergeably."""

from __future__ import annotations

from app.codecs import FramedRecord
from app.profile import ProfileBuilder
from app.profile.window import WindowProfile


def _profile(ids: list[int], window_id: int = 1) -> WindowProfile:
    builder = ProfileBuilder()
    builder.add([FramedRecord({"v": float(i)}, sid, f"schema-{sid}") for i, sid in enumerate(ids)])
    return builder.snapshot("f", window_id, 0, 0)


def test_counts_ids_and_keeps_each_schema_text() -> None:
    profile = _profile([42, 42, 43, 42])
    assert profile.schema_ids == {42: 3, 43: 1}
    assert profile.writer_schemas == {42: "schema-42", 43: "schema-43"}


def test_plain_records_have_no_schema_ids() -> None:
    builder = ProfileBuilder()
    builder.add([{"v": 1.0}, {"v": 2.0}])
    profile = builder.snapshot("f", 1, 0, 0)
    assert profile.schema_ids == {} and profile.writer_schemas == {}


def test_merge_adds_counts_and_round_trips() -> None:
    merged = _profile([42, 42]).merge(_profile([42, 44]))
    assert merged.schema_ids == {42: 3, 44: 1}
    assert merged.writer_schemas == {42: "schema-42", 44: "schema-44"}
    again = WindowProfile.deserialize(merged.serialize())
    assert (again.schema_ids, again.writer_schemas) == (merged.schema_ids, merged.writer_schemas)
