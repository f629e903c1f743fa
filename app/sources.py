"""Sample records for baselines: from files (CSV, JSON Lines, Parquet) or from a topic."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from confluent_kafka import Consumer, KafkaException

from app.codecs.base import Codec
from app.errors import DataSourceError, DecodeError, KafkaError


def records_from_frame(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-like dicts, exactly as a JSON feed of them would decode (ISO timestamps)."""
    lines = frame.to_json(orient="records", lines=True, date_format="iso", date_unit="s")
    return [orjson.loads(line) for line in lines.splitlines() if line]


def read_file(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise DataSourceError(f"no such file: {path}")
    suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
    try:
        if suffix in (".csv", ".csv.gz"):
            return records_from_frame(pd.read_csv(path))
        if suffix in (".jsonl", ".ndjson", ".json", ".jsonl.gz"):
            with path.open("rb") as fh:
                return [orjson.loads(line) for line in fh if line.strip()]
        if suffix == ".parquet":
            return records_from_frame(pd.read_parquet(path))
    except (OSError, ValueError, orjson.JSONDecodeError) as exc:
        raise DataSourceError(f"cannot read {path}: {exc}") from exc
    raise DataSourceError(f"unsupported file type {path.suffix!r}: use .csv, .jsonl or .parquet")


def read_topic(
    kafka_config: dict[str, str | int | float | bool],
    topic: str,
    codec: Codec,
    sample: int,
    timeout: float = 30.0,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Up to ``sample`` decodable records from the start of ``topic`` (no group commits);
    ``progress`` is told the count after each batch."""
    consumer = Consumer(
        {
            **kafka_config,
            "group.id": f"driftmend-sampler-{time.time_ns()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        consumer.subscribe([topic])
        idle = 0
        while len(records) < sample and time.monotonic() < deadline:
            msgs = consumer.consume(min(5000, sample - len(records)), timeout=1.0)
            if not msgs:
                idle += 1
                if idle >= 5 and records:
                    break
                continue
            idle = 0
            for msg in msgs:
                value = msg.value()
                if msg.error() is None and value is not None:
                    try:
                        records.append(codec.decode(value))
                    except DecodeError:
                        continue
            if progress is not None:
                progress(min(len(records), sample))
    except KafkaException as exc:
        raise KafkaError(f"cannot read topic {topic!r}: {exc}") from exc
    finally:
        consumer.close()
    if not records:
        raise DataSourceError(f"no decodable records in topic {topic!r} within {timeout:.0f} s")
    return records[:sample]
