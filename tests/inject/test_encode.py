"""Synthetic records are encoded like the feed's: JSON, Avro, Confluent with the feed's id."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from app.codecs.avro import AvroCodec
from app.codecs.confluent import ConfluentAvroCodec, LocalSchemaRegistry
from app.codecs.json import JsonCodec
from app.inject.encode import encode_all, encoder_for

SCHEMA = {
    "type": "record",
    "name": "Order",
    "fields": [
        {"name": "amount", "type": "double"},
        {"name": "category", "type": "string"},
        {"name": "score", "type": ["null", "long"], "default": None},
    ],
}
RECORDS = [
    {"amount": 1.5, "category": "a", "score": 3},
    {"amount": 2.0, "category": "b", "score": None},
]


def test_json_records_round_trip() -> None:
    values, failed = encode_all(encoder_for(JsonCodec(), b"{}"), RECORDS)
    assert failed == 0 and [orjson.loads(v) for v in values] == RECORDS


def test_avro_records_round_trip_and_bad_ones_are_counted() -> None:
    codec = AvroCodec(SCHEMA)
    values, failed = encode_all(codec, [*RECORDS, {"amount": "x", "category": 1}])
    assert failed == 1
    assert [codec.decode(v) for v in values] == RECORDS


def test_confluent_records_carry_the_feeds_current_schema_id(tmp_path: Path) -> None:
    (tmp_path / "7.avsc").write_text(json.dumps(SCHEMA))
    (tmp_path / "9.avsc").write_text(json.dumps(SCHEMA))
    feed = ConfluentAvroCodec(LocalSchemaRegistry(tmp_path))
    real = ConfluentAvroCodec(LocalSchemaRegistry(tmp_path), write_schema_id=9).encode(RECORDS[0])
    values, failed = encode_all(encoder_for(feed, real), RECORDS)
    assert failed == 0
    assert all(feed.schema_id(v) == 9 for v in values)
    assert [dict(feed.decode(v)) for v in values] == RECORDS
