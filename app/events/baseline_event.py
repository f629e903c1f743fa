"""BaselinePublished <-> Avro binary per ``schemas/baseline.avsc``."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from app.codecs.avro import parse_avro_schema, read_avro, write_avro

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "baseline.avsc"


@cache
def baseline_event_schema() -> Any:
    return parse_avro_schema(json.loads(SCHEMA_PATH.read_text()))


def encode_baseline_event(event: dict[str, Any]) -> bytes:
    return write_avro(event, baseline_event_schema())


def decode_baseline_event(data: bytes) -> dict[str, Any]:
    event = read_avro(data, baseline_event_schema())
    if isinstance(event["created_at"], datetime):
        event["created_at"] = int(event["created_at"].timestamp() * 1000)
    return event
