"""WindowProfile: all field profiles of one window (or part of one), mergeable across partitions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import orjson

from app.errors import SketchError
from app.profile.field import FieldProfile
from app.profile.sample import RowSample

FORMAT_VERSION = 1


@dataclass
class WindowProfile:
    feed: str
    window_id: int
    start_ms: int
    end_ms: int
    records: int = 0
    decode_errors: int = 0
    partitions: frozenset[int] = frozenset()
    fields: dict[str, FieldProfile] = field(default_factory=dict)
    sample: RowSample | None = None  # rows of the continuous fields, for joint tests
    schema_ids: dict[int, int] = field(default_factory=dict)  # records per writer schema id
    writer_schemas: dict[int, str] = field(default_factory=dict)  # schema id -> its text

    def merge(self, other: WindowProfile) -> WindowProfile:
        return WindowProfile.merged([self, other])

    @classmethod
    def merged(cls, parts: Sequence[WindowProfile]) -> WindowProfile:
        """One profile of the partials of a window (one union per sketch for all of them)."""
        if not parts:
            raise SketchError("no partial to merge")
        first = parts[0]
        for other in parts[1:]:
            if (first.feed, first.window_id) != (other.feed, other.window_id):
                raise SketchError(
                    f"cannot merge window {other.feed}/{other.window_id} into "
                    f"{first.feed}/{first.window_id}"
                )
        names = sorted({name for p in parts for name in p.fields})
        schema_ids: Counter[int] = Counter()
        writer_schemas: dict[int, str] = {}
        for p in reversed(parts):  # the first to name a schema id wins
            schema_ids.update(p.schema_ids)
            writer_schemas.update(p.writer_schemas)
        return cls(
            feed=first.feed,
            window_id=first.window_id,
            start_ms=min(p.start_ms for p in parts),
            end_ms=max(p.end_ms for p in parts),
            records=sum(p.records for p in parts),
            decode_errors=sum(p.decode_errors for p in parts),
            partitions=frozenset().union(*(p.partitions for p in parts)),
            fields={
                name: FieldProfile.merged([p.fields[name] for p in parts if name in p.fields])
                for name in names
            },
            sample=reduce(_merge_samples, (p.sample for p in parts)),
            schema_ids=dict(schema_ids),
            writer_schemas=writer_schemas,
        )

    def serialize(self) -> bytes:
        return orjson.dumps(
            {
                "format": FORMAT_VERSION,
                "feed": self.feed,
                "window_id": self.window_id,
                "start_ms": self.start_ms,
                "end_ms": self.end_ms,
                "records": self.records,
                "decode_errors": self.decode_errors,
                "partitions": sorted(self.partitions),
                "fields": {name: fp.to_dict() for name, fp in sorted(self.fields.items())},
                "sample": None if self.sample is None else self.sample.to_dict(),
                "schema_ids": {str(i): n for i, n in sorted(self.schema_ids.items())},
                "writer_schemas": {str(i): t for i, t in sorted(self.writer_schemas.items())},
            }
        )

    @classmethod
    def deserialize(cls, data: bytes) -> WindowProfile:
        try:
            raw: dict[str, Any] = orjson.loads(data)
            if raw.get("format") != FORMAT_VERSION:
                raise SketchError(f"unsupported window profile format {raw.get('format')!r}")
            return cls(
                feed=str(raw["feed"]),
                window_id=int(raw["window_id"]),
                start_ms=int(raw["start_ms"]),
                end_ms=int(raw["end_ms"]),
                records=int(raw["records"]),
                decode_errors=int(raw["decode_errors"]),
                partitions=frozenset(int(p) for p in raw["partitions"]),
                fields={str(k): FieldProfile.from_dict(v) for k, v in raw["fields"].items()},
                sample=None if raw.get("sample") is None else RowSample.from_dict(raw["sample"]),
                schema_ids={int(i): int(n) for i, n in (raw.get("schema_ids") or {}).items()},
                writer_schemas={
                    int(i): str(t) for i, t in (raw.get("writer_schemas") or {}).items()
                },
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SketchError(f"malformed window profile: {exc}") from exc


def _merge_samples(a: RowSample | None, b: RowSample | None) -> RowSample | None:
    if a is None or b is None:
        return a if b is None else b
    return a.merge(b)
