"""WindowProfile: all field profiles of one window (or part of one), mergeable across partitions."""

from __future__ import annotations

from dataclasses import dataclass, field
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
        if (self.feed, self.window_id) != (other.feed, other.window_id):
            raise SketchError(
                f"cannot merge window {other.feed}/{other.window_id} into "
                f"{self.feed}/{self.window_id}"
            )
        fields: dict[str, FieldProfile] = {}
        for name in self.fields.keys() | other.fields.keys():
            mine, theirs = self.fields.get(name), other.fields.get(name)
            if mine is None or theirs is None:
                only = mine if mine is not None else theirs
                assert only is not None
                fields[name] = only.merge(FieldProfile())
            else:
                fields[name] = mine.merge(theirs)
        return WindowProfile(
            feed=self.feed,
            window_id=self.window_id,
            start_ms=min(self.start_ms, other.start_ms),
            end_ms=max(self.end_ms, other.end_ms),
            records=self.records + other.records,
            decode_errors=self.decode_errors + other.decode_errors,
            partitions=self.partitions | other.partitions,
            fields=fields,
            sample=_merge_samples(self.sample, other.sample),
            schema_ids={
                i: self.schema_ids.get(i, 0) + other.schema_ids.get(i, 0)
                for i in self.schema_ids.keys() | other.schema_ids.keys()
            },
            writer_schemas={**other.writer_schemas, **self.writer_schemas},
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
