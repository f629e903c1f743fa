"""DriftEvent <-> Avro binary per ``schemas/drift_event.avsc``."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from app.analysis.analyzer import DriftReport
from app.codecs.avro import parse_avro_schema, read_avro, write_avro

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "drift_event.avsc"


@cache
def drift_event_schema() -> Any:
    return parse_avro_schema(json.loads(SCHEMA_PATH.read_text()))


def event_from_report(report: DriftReport, input_topic: str) -> dict[str, Any]:
    if report.severity is None:
        raise ValueError("a report without findings makes no event")
    w = report.window
    return {
        "event_id": str(uuid.uuid4()),
        "feed": w.feed,
        "input_topic": input_topic,
        "window_id": w.window_id,
        "window_start": w.start_ms,
        "window_end": w.end_ms,
        "window_records": w.records,
        "baseline_version": report.baseline_version,
        "severity": report.severity.label,
        "drift_score": report.score,
        "confidence_low": report.interval[0],
        "confidence_high": report.interval[1],
        "changed_characteristics": [
            {
                "field": f.field,
                "characteristic": f.characteristic,
                "statistic": f.statistic,
                "value": f.value,
                "threshold": f.threshold,
                "severity": f.severity.label if f.severity else "low",
                "score": f.score,
                "baseline": f.baseline,
                "current": f.current,
            }
            for f in report.findings
        ],
        "detected_at": int(time.time() * 1000),
    }


def encode_event(event: dict[str, Any]) -> bytes:
    return write_avro(event, drift_event_schema())


def decode_event(data: bytes) -> dict[str, Any]:
    event = read_avro(data, drift_event_schema())
    for key in ("window_start", "window_end", "detected_at"):  # logical types -> epoch ms
        if isinstance(event[key], datetime):
            event[key] = int(event[key].timestamp() * 1000)
    return event
