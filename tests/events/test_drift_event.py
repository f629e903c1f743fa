"""Drift events encode to Avro per schemas/drift_event.avsc and decode back."""

from __future__ import annotations

import numpy as np

from app.analysis import Analyzer
from app.baseline import build_baseline
from app.events import decode_event, encode_event, event_from_report
from app.profile import ProfileBuilder
from tests.conftest import make_records


def test_event_round_trip_and_content(rng: np.random.Generator) -> None:
    baseline = build_baseline("f", make_records(rng, 10_000), "test")
    builder = ProfileBuilder(baseline.schema, baseline.edges)
    builder.add(make_records(rng, 2_000, shift=2.0))
    report = Analyzer(baseline).analyze(builder.snapshot("f", 4, 100, 200))
    event = event_from_report(report, "in")
    again = decode_event(encode_event(event))
    assert again == event
    assert again["severity"] == "high" and again["window_id"] == 4
    assert (again["window_start"], again["window_end"], again["window_records"]) == (100, 200, 2000)
    fields = {(c["field"], c["characteristic"]) for c in again["changed_characteristics"]}
    assert ("x", "distribution") in fields
    assert {c["field"] for c in again["changed_characteristics"]} == {"x", "*"}
