"""Baseline value and its (JSON) serialization."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import orjson

from app.analysis.tolerances import Tolerances
from app.errors import SchemaError, SketchError
from app.profile.window import WindowProfile
from app.schema.model import Schema


@dataclass(frozen=True)
class Baseline:
    feed: str
    version: int
    schema: Schema
    profile: WindowProfile
    tolerances: Tolerances
    created_at_ms: int
    source: str

    @property
    def edges(self) -> dict[str, tuple[float, ...]]:
        return {n: fp.edges for n, fp in self.profile.fields.items() if fp.edges is not None}

    def with_version(self, version: int) -> Baseline:
        return replace(self, version=version)

    def summary(self) -> dict[str, Any]:
        """A human-readable view: schema plus a few numbers per field."""
        fields = []
        for spec in self.schema.fields:
            fp = self.profile.fields.get(spec.name)
            row: dict[str, Any] = {**spec.__dict__}
            if fp is not None:
                row.update(
                    count=fp.count,
                    null_rate=round(fp.null_rate, 6),
                    distinct=round(fp.distinct_estimate()),
                )
                if fp.numbers is not None:
                    q = fp.numbers.get_quantiles([0.0, 0.5, 1.0])
                    row.update(min=q[0], median=q[1], max=q[2], mean=fp.mean)
                cats = fp.category_counts()
                if cats and spec.kind == "categorical":
                    row["top"] = sorted(cats, key=lambda k: -cats[k])[:5]
            fields.append(row)
        return {
            "feed": self.feed,
            "version": self.version,
            "records": self.profile.records,
            "created_at_ms": self.created_at_ms,
            "source": self.source,
            "fields": fields,
            "tolerances": self.tolerances.to_dict(),
        }

    def serialize(self) -> bytes:
        return orjson.dumps(
            {
                "feed": self.feed,
                "version": self.version,
                "schema": self.schema.to_dict(),
                "profile": self.profile.serialize().decode(),
                "tolerances": self.tolerances.to_dict(),
                "created_at_ms": self.created_at_ms,
                "source": self.source,
            }
        )

    @classmethod
    def deserialize(cls, data: bytes) -> Baseline:
        try:
            raw = orjson.loads(data)
            return cls(
                feed=str(raw["feed"]),
                version=int(raw["version"]),
                schema=Schema.from_dict(raw["schema"]),
                profile=WindowProfile.deserialize(raw["profile"].encode()),
                tolerances=Tolerances.from_dict(raw["tolerances"]),
                created_at_ms=int(raw["created_at_ms"]),
                source=str(raw["source"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise SketchError(f"malformed baseline: {exc}") from exc
        except SchemaError:
            raise
