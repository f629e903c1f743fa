"""Baseline records encode to Avro per schemas/baseline.avsc and decode back."""

from __future__ import annotations

import pytest

from app.errors import SchemaError
from app.events.baseline_event import decode_baseline_event, encode_baseline_event
from app.lineage.model import TRANSFORMATIONS


def record(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "feed": "orders",
        "version": 7,
        "parent_version": 6,
        "transformation": "retrain",
        "content_hash": "ab" * 32,
        "has_model": True,
        "reason": "the challenger fits better",
        "event_id": "ev-1",
        "metrics": {"challenger_quality": 0.91, "distance_gain_p05": 0.02},
        "created_at": 1_795_000_000_123,
    }
    return {**base, **over}


def test_round_trip() -> None:
    assert decode_baseline_event(encode_baseline_event(record())) == record()
    root = record(parent_version=None, event_id=None, transformation="create", metrics={})
    assert decode_baseline_event(encode_baseline_event(root)) == root


@pytest.mark.parametrize("transformation", TRANSFORMATIONS)
def test_every_transformation_has_a_symbol(transformation: str) -> None:
    event = decode_baseline_event(encode_baseline_event(record(transformation=transformation)))
    assert event["transformation"] == transformation


def test_unknown_transformation_or_missing_field_is_refused() -> None:
    with pytest.raises(SchemaError):
        encode_baseline_event(record(transformation="magic"))
    incomplete = record()
    del incomplete["content_hash"]
    with pytest.raises(SchemaError):
        encode_baseline_event(incomplete)
